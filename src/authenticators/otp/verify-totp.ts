import { codesEqual, isWellFormedCode } from './code-matches.js';
import { hotp, type OtpAlgorithm, type OtpDigits } from './hotp.js';
import { totpStep } from './totp.js';

export interface VerifyTotpParams {
  secret: Buffer;
  code: string;
  nowMs: number;
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  period: number;
  /** Last step already accepted for this authenticator, or null if none yet. */
  lastStep: number | null;
  /** Steps of clock drift tolerated either side; default 1, at most 1. */
  window?: number;
}

export type VerifyTotpResult = { ok: true; step: number } | { ok: false };

// SECURITY.md caps drift at ±1 step; a wider window multiplies the guessing odds per attempt.
const MAX_WINDOW = 1;

/** Checks a TOTP code within ±window steps of now, refusing any step at or before `lastStep`. */
export function verifyTotp(params: VerifyTotpParams): VerifyTotpResult {
  const window = params.window ?? 1;
  if (!Number.isInteger(window) || window < 0 || window > MAX_WINDOW) {
    throw new RangeError(`TOTP window must be an integer from 0 to ${MAX_WINDOW}`);
  }
  if (!isWellFormedCode(params.code, params.digits)) {
    return { ok: false };
  }

  const now = totpStep(params.nowMs, params.period);
  let matched: number | null = null;
  for (let step = now - window; step <= now + window; step++) {
    // Steps at or before the last accepted one are replays (CVE-2021-43177), even if the code is right.
    if (step < 0 || (params.lastStep !== null && step <= params.lastStep)) {
      continue;
    }
    const expected = hotp(params.secret, step, params);
    // Keep looping after a match so the work done does not reveal which step matched.
    if (codesEqual(expected, params.code) && matched === null) {
      matched = step;
    }
  }
  return matched === null ? { ok: false } : { ok: true, step: matched };
}
