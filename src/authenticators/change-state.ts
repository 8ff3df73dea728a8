import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import { AppError } from '../shared/errors.js';
import type { Db } from '../store/open-store.js';
import { authenticatorsRepo } from '../store/repos/authenticators.js';
import { oneTimeCodesRepo } from '../store/repos/one-time-codes.js';
import type { AuthenticatorRow } from '../store/schema.js';
import { type LifecycleAction, nextState } from './states.js';

/** The audit action each lifecycle action records. */
const AUDIT_ACTION: Record<LifecycleAction, string> = {
  activate: 'authenticator.activated',
  suspend: 'authenticator.suspended',
  markLost: 'authenticator.lost',
  reactivate: 'authenticator.reactivated',
  revoke: 'authenticator.revoked',
};

/** Whom an authenticator's events are about: its owner, or itself while in the inventory. */
export function auditSubject(row: Pick<AuthenticatorRow, 'id' | 'user_id'>): string {
  return row.user_id ?? row.id;
}

/**
 * Applies one lifecycle action inside `trx`, as the state machine allows it, with its audit
 * event. Revoking voids the unused one-time codes first (codes before the row: the same lock
 * order as redemption, so the two never deadlock on PostgreSQL). The state moves by
 * compare-and-set: a concurrent change makes this one fail with INVALID_STATE.
 */
export async function changeState(
  ctx: Context,
  trx: Db,
  actor: Actor,
  row: AuthenticatorRow,
  action: LifecycleAction,
  reason: string | null,
): Promise<void> {
  const to = nextState(row.state, action, row.activated_at !== null);
  if (to === undefined) {
    throw new AppError('INVALID_STATE', `a ${row.state} authenticator does not allow ${action}`);
  }
  const now = ctx.clock.now();
  const voidedCodes = to === 'revoked' ? await oneTimeCodesRepo.voidUnused(trx, row.id, now) : 0;
  if (!(await authenticatorsRepo.changeState(trx, row.id, row.state, to, reason, now))) {
    throw new AppError('INVALID_STATE', `authenticator ${row.id} changed meanwhile; read it again`);
  }
  await ctx.audit.append(trx, actor, {
    action: AUDIT_ACTION[action],
    subject: auditSubject(row),
    details: {
      authenticatorId: row.id,
      type: row.type,
      from: row.state,
      to,
      reason,
      ...(voidedCodes > 0 ? { voidedCodes } : {}),
    },
  });
}
