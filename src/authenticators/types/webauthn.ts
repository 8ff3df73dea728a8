import { z } from 'zod';
import { AppError } from '../../shared/errors.js';
import type { AuthenticatorType } from '../authenticator-type.js';

/** Enrolled by a ceremony in the browser (src/webauthn), never issued by the admin API. */
const webauthnOptions = z.strictObject({ type: z.literal('webauthn') });

/** What one passkey is worth, from its own flags (NIST SP 800-63B rev 4, RFC 8176). */
export interface PasskeyStrength {
  /** `hwk` for a device-bound key, `swk` for a synced one; `user` when the person was verified (UV). */
  amr: string[];
  /** 3 for a device-bound key (non-exportable), 2 for a synced passkey (NIST rev 4: synced = AAL2). */
  maxAal: 2 | 3;
  /** The passkey alone was two factors (possession + the PIN or biometric that UV proved). */
  multiFactor: boolean;
}

/**
 * Classifies one credential by its backup flags: a backup-eligible credential can leave the
 * device (synced passkey), so it is a software-secured key (`swk`, at most AAL2); otherwise a
 * hardware-secured key (`hwk`, AAL3 capable). Pure.
 */
export function passkeyStrength(c: { backupEligible: boolean; userVerified: boolean }): PasskeyStrength {
  const amr = [c.backupEligible ? 'swk' : 'hwk'];
  if (c.userVerified) amr.push('user');
  return { amr, maxAal: c.backupEligible ? 2 : 3, multiFactor: c.userVerified };
}

/**
 * Passkeys and security keys (WebAuthn / FIDO2). The description is the type's best case
 * (a device-bound key); each credential is classified by `passkeyStrength` when it is used.
 */
export const webauthnType: AuthenticatorType<z.infer<typeof webauthnOptions>> = {
  kind: 'webauthn',
  describe: {
    title: 'Passkey',
    amr: ['hwk'],
    maxAal: 3,
    phishingResistant: true,
    validatable: false,
    recoveryOnly: false,
  },
  options: webauthnOptions,

  issue() {
    throw new AppError(
      'VALIDATION_FAILED',
      'a passkey is registered by its owner in the browser (sign-in or /account), not issued',
    );
  },
};
