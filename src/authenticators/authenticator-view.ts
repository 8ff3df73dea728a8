import type { AuthenticatorRow, WebauthnCredentialRow } from '../store/schema.js';
import type { AuthenticatorKind, AuthenticatorState } from './authenticator-type.js';
import { passkeyStrength } from './types/webauthn.js';

/**
 * What every read API shows of an authenticator. Built field by field from the row, so a
 * secret, an otpauth URI or a code can never leak into a read by a new column.
 */
export interface AuthenticatorView {
  id: string;
  userId: string | null;
  type: AuthenticatorKind;
  state: AuthenticatorState;
  /** Why it is in its state (revocation reason, "replaced", "redeemed"), when one was given. */
  stateReason: string | null;
  name: string | null;
  serial: string | null;
  createdAt: string;
  activatedAt: string | null;
  lastUsedAt: string | null;
  expiresAt: string | null;
  /** Recovery codes only: how many codes of the set are still unused. */
  remaining?: number;
  /** Passkeys only: its backup flags and what they make it (device-bound `hwk` AAL3, synced `swk` AAL2). */
  passkey?: PasskeyView;
}

/** A passkey's classification, from the flags its authenticator reported (BE at creation, BS at last use). */
export interface PasskeyView {
  backupEligible: boolean;
  backedUp: boolean;
  amr: 'hwk' | 'swk';
  maxAal: 2 | 3;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Shapes a row for the API; `remaining` is given for recovery-code sets, `credential` for passkeys. */
export function toAuthenticatorView(
  row: AuthenticatorRow,
  remaining?: number,
  credential?: WebauthnCredentialRow,
): AuthenticatorView {
  const view: AuthenticatorView = {
    id: row.id,
    userId: row.user_id,
    type: row.type,
    state: row.state,
    stateReason: row.state_reason,
    name: row.name,
    serial: row.serial,
    createdAt: new Date(row.created_at).toISOString(),
    activatedAt: iso(row.activated_at),
    lastUsedAt: iso(row.last_used_at),
    expiresAt: iso(row.expires_at),
  };
  if (row.type === 'recovery_codes') view.remaining = remaining ?? 0;
  if (row.type === 'webauthn' && credential) {
    const backupEligible = credential.backup_eligible === 1;
    const strength = passkeyStrength({ backupEligible, userVerified: false });
    view.passkey = {
      backupEligible,
      backedUp: credential.backup_state === 1,
      amr: strength.amr[0] as PasskeyView['amr'],
      maxAal: strength.maxAal,
    };
  }
  return view;
}
