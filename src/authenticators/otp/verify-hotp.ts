import { codesEqual, isWellFormedCode } from './code-matches.js';
import { hotp, type OtpAlgorithm, type OtpDigits } from './hotp.js';

export interface VerifyHotpParams {
  secret: Buffer;
  code: string;
  /** Next expected counter (one past the last accepted). */
  counter: number;
  /** How many counters past `counter` to search; default 10. */
  lookAhead?: number;
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
}

export type VerifyHotpResult = { ok: true; nextCounter: number } | { ok: false };

/** Checks an HOTP code against counter..counter+lookAhead and returns the counter to expect next. */
export function verifyHotp(params: VerifyHotpParams): VerifyHotpResult {
  const lookAhead = params.lookAhead ?? 10;
  if (!Number.isSafeInteger(lookAhead) || lookAhead < 0) {
    throw new RangeError('HOTP look-ahead must be a non-negative integer');
  }
  if (!Number.isSafeInteger(params.counter) || params.counter < 0) {
    throw new RangeError('HOTP counter must be a non-negative safe integer');
  }
  if (!Number.isSafeInteger(params.counter + lookAhead + 1)) {
    throw new RangeError('HOTP counter range exceeds safe integers');
  }
  if (!isWellFormedCode(params.code, params.digits)) {
    return { ok: false };
  }

  // The expected counter first: nearly every right code is there, and then one HMAC is enough.
  // Stopping early tells only someone who already sent the right code that it was the next one.
  if (codesEqual(hotp(params.secret, params.counter, params), params.code)) {
    return { ok: true, nextCounter: params.counter + 1 };
  }
  let matched: number | null = null;
  for (let c = params.counter + 1; c <= params.counter + lookAhead; c++) {
    const expected = hotp(params.secret, c, params);
    // Past the expected counter, keep looping after a match so the work done does not reveal
    // how far ahead the token was.
    if (codesEqual(expected, params.code) && matched === null) {
      matched = c;
    }
  }
  // Moving past the match makes that code and every earlier one unusable (single use).
  return matched === null ? { ok: false } : { ok: true, nextCounter: matched + 1 };
}
