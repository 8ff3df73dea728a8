import { z } from 'zod';
import type { AuthenticatorType } from '../authenticator-type.js';
import { humanCode } from '../../crypto/random.js';
import { AppError } from '../../shared/errors.js';
import { groupInFours } from './human-codes.js';
import { authenticatorNameSchema } from './issue-options.js';

/** Symbols per pass: 12 × 5 = 60 bits, above the 40 SECURITY.md asks for a pass used with a username. */
export const ACCESS_PASS_LENGTH = 12;

/** The longest pass usable at once (minutes); a dated pass (`validFrom`) may last a whole day. */
const NOW_MAX_MINUTES = 8 * 60;
const DATED_MAX_MINUTES = 24 * 60;
/** How far ahead a pass may be dated (a start date known weeks before day one). */
const MAX_LEAD_MS = 366 * 24 * 60 * 60 * 1000;

const accessPassOptions = z
  .strictObject({
    type: z.literal('access_pass'),
    /** Lifetime in minutes, from `validFrom` (or now); default PORTCULLIS_ACCESS_PASS_MINUTES. */
    minutes: z.number().int().min(5).max(DATED_MAX_MINUTES).optional(),
    /** Not usable before this instant (a joiner's day-one pass); default now. */
    validFrom: z.iso.datetime({ offset: true }).optional(),
    name: authenticatorNameSchema.optional(),
  })
  .refine((o) => o.validFrom !== undefined || (o.minutes ?? 0) <= NOW_MAX_MINUTES, {
    message: `a pass usable at once lasts at most ${NOW_MAX_MINUTES} minutes (a dated one, with validFrom, up to ${DATED_MAX_MINUTES})`,
    path: ['minutes'],
  });
export type AccessPassIssueOptions = z.infer<typeof accessPassOptions>;

/**
 * A Temporary Access Pass: one short-lived, single-use code that only lets its owner bind a new
 * authenticator. Stored as a salted hash; never accepted by the validation API.
 */
/** When a stored pass starts to work (its params), or undefined: at once. Pure. */
export function passValidFrom(params: string): number | undefined {
  const v = (JSON.parse(params) as { validFrom?: unknown }).validFrom;
  return typeof v === 'number' ? v : undefined;
}

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
    const from = options.validFrom === undefined ? ctx.now : Math.max(ctx.now, Date.parse(options.validFrom));
    if (from - ctx.now > MAX_LEAD_MS) {
      throw new AppError('VALIDATION_FAILED', 'validFrom is more than a year ahead');
    }
    const expiresAt = from + (options.minutes ?? ctx.accessPassMinutes) * 60_000;
    return {
      secret: null,
      // Redemption refuses the pass before `validFrom` (redeem-one-time-code.ts).
      params: from > ctx.now ? { validFrom: from } : {},
      counter: null,
      expiresAt,
      oneTimeCodes: [code],
      reveal: {
        code: groupInFours(code),
        expiresAt: new Date(expiresAt).toISOString(),
        ...(from > ctx.now ? { validFrom: new Date(from).toISOString() } : {}),
      },
    };
  },
};
