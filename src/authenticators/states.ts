import type { AuthenticatorState } from './authenticator-type.js';

/** What an administrator (or the first successful use) can do to an authenticator's state. */
export type LifecycleAction = 'activate' | 'suspend' | 'markLost' | 'reactivate' | 'revoke';

/**
 * The authenticator lifecycle: pending → active → suspended | lost → revoked.
 *
 * - `lost` only leads to `revoked`: a device that was out of its owner's hands may have been
 *   copied, so it is never trusted again; the person re-enrols instead.
 * - `suspended` is reversible: it goes back to `active`, or to `pending` when it was never used
 *   (reactivating must not skip staged activation).
 * - `revoked` is final.
 */
const TRANSITIONS: Record<AuthenticatorState, readonly AuthenticatorState[]> = {
  pending: ['active', 'suspended', 'lost', 'revoked'],
  active: ['suspended', 'lost', 'revoked'],
  suspended: ['pending', 'active', 'lost', 'revoked'],
  lost: ['revoked'],
  revoked: [],
};

/** Whether an authenticator may move from one state to another (staying put is not a move). */
export function canTransition(from: AuthenticatorState, to: AuthenticatorState): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * The state an action leads to from `from`, or undefined when the action is not allowed there.
 * `everActivated` (the row has an `activated_at`) decides where reactivation returns to.
 */
export function nextState(
  from: AuthenticatorState,
  action: LifecycleAction,
  everActivated: boolean,
): AuthenticatorState | undefined {
  const target = targetOf(action, everActivated);
  // Reactivation starts only from suspended ("reactivating" a pending one would be a no-op in
  // disguise); activation only from pending (it is the first use, never a way out of suspension).
  if (action === 'reactivate' && from !== 'suspended') return undefined;
  if (action === 'activate' && from !== 'pending') return undefined;
  return canTransition(from, target) ? target : undefined;
}

function targetOf(action: LifecycleAction, everActivated: boolean): AuthenticatorState {
  switch (action) {
    case 'activate':
      return 'active';
    case 'suspend':
      return 'suspended';
    case 'markLost':
      return 'lost';
    case 'reactivate':
      return everActivated ? 'active' : 'pending';
    case 'revoke':
      return 'revoked';
  }
}

/** States in which an authenticator may be used (a code checked, a one-time code redeemed). */
export function isUsable(state: AuthenticatorState): boolean {
  return state === 'pending' || state === 'active';
}
