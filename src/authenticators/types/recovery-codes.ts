import { z } from 'zod';
import type { AuthenticatorType } from '../authenticator-type.js';
import { humanCode } from '../../crypto/random.js';
import { groupInFours } from './human-codes.js';
import { authenticatorNameSchema } from './issue-options.js';

/** How many codes one set holds. */
export const RECOVERY_CODE_COUNT = 10;
/** Symbols per code: 16 × 5 = 80 bits, above the 64 SECURITY.md asks for. */
export const RECOVERY_CODE_LENGTH = 16;

const recoveryCodesOptions = z.strictObject({
  type: z.literal('recovery_codes'),
  name: authenticatorNameSchema.optional(),
});
export type RecoveryCodesIssueOptions = z.infer<typeof recoveryCodesOptions>;

/**
 * A set of single-use recovery codes (NIST "look-up secrets"). Only their salted hashes are
 * stored; the codes are shown once, grouped in fours, when the set is issued.
 */
export const recoveryCodesType: AuthenticatorType<RecoveryCodesIssueOptions> = {
  kind: 'recovery_codes',
  describe: {
    title: 'Recovery codes',
    amr: ['otp'],
    maxAal: 2,
    phishingResistant: false,
    validatable: false,
    recoveryOnly: true,
  },
  options: recoveryCodesOptions,

  issue() {
    // A repeat among 80-bit codes is practically impossible, but a set must never hold one twice.
    const codes = new Set<string>();
    while (codes.size < RECOVERY_CODE_COUNT) codes.add(humanCode(RECOVERY_CODE_LENGTH));
    const stored = [...codes];
    return {
      secret: null,
      params: { count: RECOVERY_CODE_COUNT },
      counter: null,
      expiresAt: null,
      oneTimeCodes: stored,
      reveal: { codes: stored.map(groupInFours) },
    };
  },
};
