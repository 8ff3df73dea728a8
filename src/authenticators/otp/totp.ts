import { type HotpOptions, hotp } from './hotp.js';

export interface TotpOptions extends HotpOptions {
  period: number;
}

/** Returns the RFC 6238 time step for a Unix time in milliseconds (`t0` in seconds). */
export function totpStep(unixMs: number, period: number, t0 = 0): number {
  if (!Number.isFinite(unixMs) || !Number.isFinite(t0)) {
    throw new RangeError('TOTP time must be finite');
  }
  if (!Number.isInteger(period) || period <= 0) {
    throw new RangeError('TOTP period must be a positive integer of seconds');
  }
  // Work in milliseconds so no division rounds before the single floor RFC 6238 asks for.
  return Math.floor((unixMs - t0 * 1000) / (period * 1000));
}

/** Computes the RFC 6238 TOTP code at a Unix time in milliseconds. */
export function totp(secret: Buffer, unixMs: number, opts: TotpOptions): string {
  // Times are kept as doubles in ms, so t = 20000000000 s (past 2^32 seconds) needs no 32-bit clamp,
  // and hotp writes the full 8-byte counter for any step.
  return hotp(secret, totpStep(unixMs, opts.period), opts);
}
