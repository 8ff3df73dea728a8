import { z } from 'zod';
import type { AuthenticatorType } from '../authenticator-type.js';
import { encodeBase32, otpauthUri, otpParamsSchema, storedOtpParams, verifyHotp } from '../otp/index.js';
import { otpOptionFields } from './issue-options.js';
import { resolveSeed } from './otp-seed.js';

/** How many counters past the expected one a code may come from (a token pressed unseen). */
export const HOTP_LOOK_AHEAD = 10;

const hotpOptions = z.strictObject({
  type: z.literal('hotp'),
  // CONTRACT.md: hotp takes "the same options" as totp, so `period` is accepted; it has no
  // meaning for a counter-based code and is not stored.
  ...otpOptionFields,
  // Room above the counter for the look-ahead, so the window never leaves the safe integers.
  counter: z
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER - 2 * (HOTP_LOOK_AHEAD + 1))
    .optional(),
});
export type HotpIssueOptions = z.infer<typeof hotpOptions>;

/**
 * Counter-based one-time passwords (RFC 4226), for hardware tokens and some apps. The row's
 * `counter` is the next expected counter; after a match it moves past it.
 */
export const hotpType: AuthenticatorType<HotpIssueOptions> = {
  kind: 'hotp',
  describe: {
    title: 'One-time password token (HOTP)',
    amr: ['otp'],
    maxAal: 2,
    phishingResistant: false,
    validatable: true,
    recoveryOnly: false,
  },
  options: hotpOptions,

  issue(options, ctx) {
    const { algorithm, digits } = otpParamsSchema.parse({
      algorithm: options.algorithm,
      digits: options.digits,
    });
    const secret = resolveSeed(options.secret);
    const counter = options.counter ?? 0;
    const uri = otpauthUri({
      type: 'hotp',
      issuer: ctx.issuer,
      account: ctx.account,
      secret,
      algorithm,
      digits,
      counter,
    });
    return {
      secret,
      params: { algorithm, digits },
      counter,
      expiresAt: null,
      oneTimeCodes: [],
      reveal: { otpauthUri: uri, secret: encodeBase32(secret) },
    };
  },

  check(row, secret, code) {
    const { algorithm, digits } = storedOtpParams(row.params);
    const result = verifyHotp({
      secret,
      code,
      counter: row.counter ?? 0,
      lookAhead: HOTP_LOOK_AHEAD,
      algorithm,
      digits,
    });
    return result.ok ? { ok: true, counter: result.nextCounter } : { ok: false };
  },
};
