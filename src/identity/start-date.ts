import { z } from 'zod';

/**
 * A person's start date as the outside world writes it: a calendar date `YYYY-MM-DD` (ISO 8601),
 * stored as midnight UTC in ms since the epoch. Pure.
 */
export function parseStartDate(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  // Date.UTC rolls 2026-02-30 over into March: such a date does not exist.
  return new Date(ms).getUTCDate() === d && new Date(ms).getUTCMonth() === mo - 1 && y >= 1970
    ? ms
    : undefined;
}

/** The stored start date as `YYYY-MM-DD`. */
export function formatStartDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The message every face gives for a bad start date. */
export const START_DATE_FORMAT = 'is not a calendar date YYYY-MM-DD';

/** `startDate` in a JSON body: `YYYY-MM-DD` in, ms since the epoch out; null clears it. */
export const startDateSchema = z
  .string()
  .transform((s, ctx) => {
    const ms = parseStartDate(s);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `startDate ${START_DATE_FORMAT}` });
      return z.NEVER;
    }
    return ms;
  })
  .nullish();
