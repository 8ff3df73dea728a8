import { z } from 'zod';
import type { AuthenticatorType } from '../authenticator-type.js';
import { humanCode } from '../../crypto/random.js';
import { groupInFours } from './human-codes.js';
import { authenticatorNameSchema } from './issue-options.js';

/** Symbols per pass: 12 × 5 = 60 bits, above the 40 SECURITY.md asks for a pass used with a username. */
export const ACCESS_PASS_LENGTH = 12;

const accessPassOptions = z.strictObject({
  type: z.literal('access_pass'),
  /** Lifetime in minutes; default PORTCULLIS_ACCESS_PASS_MINUTES. */
  minutes: z
    .number()
    .int()
    .min(5)
    .max(8 * 60)
    .optional(),
  name: authenticatorNameSchema.optional(),
});
export type AccessPassIssueOptions = z.infer<typeof accessPassOptions>;

/**
 * A Temporary Access Pass: one short-lived, single-use code that only lets its owner bind a new
 * authenticator. Stored as a salted hash; never accepted by the validation API.
 */
export const accessPassType: AuthenticatorType<AccessPassIssueOptions> = {
  kind: 'access_pass',
  describe: {
    title: 'Temporary Access Pass',
    amr: ['otp'],
    maxAal: 1,
    phishingResistant: false,
    validatable: false,
    recoveryOnly: true,
  },
  options: accessPassOptions,

  issue(options, ctx) {
    const code = humanCode(ACCESS_PASS_LENGTH);
    const expiresAt = ctx.now + (options.minutes ?? ctx.accessPassMinutes) * 60_000;
    return {
      secret: null,
      params: {},
      counter: null,
      expiresAt,
      oneTimeCodes: [code],
      reveal: { code: groupInFours(code), expiresAt: new Date(expiresAt).toISOString() },
    };
  },
};
