import { z } from 'zod';
import type { AuthenticatorType } from '../authenticator-type.js';
import { encodeBase32, otpauthUri, otpParamsSchema, storedOtpParams, verifyTotp } from '../otp/index.js';
import { otpOptionFields } from './issue-options.js';
import { resolveSeed } from './otp-seed.js';

const totpOptions = z.strictObject({ type: z.literal('totp'), ...otpOptionFields });
export type TotpIssueOptions = z.infer<typeof totpOptions>;

/**
 * Time-based one-time passwords (RFC 6238), for authenticator apps. The row's `counter` is the
 * last accepted time step (null until first use), so a step is accepted once.
 */
export const totpType: AuthenticatorType<TotpIssueOptions> = {
  kind: 'totp',
  describe: {
    title: 'Authenticator app (TOTP)',
    amr: ['otp'],
    maxAal: 2,
    phishingResistant: false,
    validatable: true,
    recoveryOnly: false,
  },
  options: totpOptions,

  issue(options, ctx) {
    const params = otpParamsSchema.parse({
      algorithm: options.algorithm,
      digits: options.digits,
      period: options.period,
    });
    const secret = resolveSeed(options.secret);
    const uri = otpauthUri({ type: 'totp', issuer: ctx.issuer, account: ctx.account, secret, ...params });
    return {
      secret,
      params,
      counter: null,
      expiresAt: null,
      oneTimeCodes: [],
      reveal: { otpauthUri: uri, secret: encodeBase32(secret) },
    };
  },

  check(row, secret, code, now) {
    const params = storedOtpParams(row.params);
    const result = verifyTotp({ secret, code, nowMs: now, ...params, lastStep: row.counter });
    return result.ok ? { ok: true, counter: result.step } : { ok: false };
  },
};
