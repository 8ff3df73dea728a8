import { describe, expect, it } from 'vitest';
import { vectors } from './rfc-vectors.test-support.js';
import { totp, totpStep } from './totp.js';

const { period, t0, digits, secrets_ascii: secrets, cases } = vectors.totp;
const algorithms = ['SHA1', 'SHA256', 'SHA512'] as const;

describe('totp', () => {
  it('uses the RFC 6238 parameters and seeds of 20, 32 and 64 bytes', () => {
    expect({ period, t0, digits }).toEqual({ period: 30, t0: 0, digits: 8 });
    expect(Buffer.from(secrets.SHA1, 'ascii')).toHaveLength(20);
    expect(Buffer.from(secrets.SHA256, 'ascii')).toHaveLength(32);
    expect(Buffer.from(secrets.SHA512, 'ascii')).toHaveLength(64);
    expect(cases.map((c) => c.unix_time)).toContain(20000000000);
  });

  const table = cases.flatMap((c) => algorithms.map((alg) => [c.unix_time, alg, c[alg]] as const));
  it.each(table)('matches RFC 6238 Appendix B at t=%i with %s', (unixTime, algorithm, code) => {
    const secret = Buffer.from(secrets[algorithm], 'ascii');
    expect(totp(secret, unixTime * 1000, { algorithm, digits: 8, period })).toBe(code);
  });

  it('does not reproduce the SHA256/SHA512 vectors with the 20-byte seed (the documented trap)', () => {
    const short = Buffer.from(secrets.SHA1, 'ascii');
    const first = cases[0]!;
    expect(totp(short, first.unix_time * 1000, { algorithm: 'SHA256', digits: 8, period })).not.toBe(
      first.SHA256,
    );
    expect(totp(short, first.unix_time * 1000, { algorithm: 'SHA512', digits: 8, period })).not.toBe(
      first.SHA512,
    );
  });
});

describe('totpStep', () => {
  it('floors to the step containing the instant', () => {
    expect(totpStep(0, 30)).toBe(0);
    expect(totpStep(29_999, 30)).toBe(0);
    expect(totpStep(30_000, 30)).toBe(1);
    expect(totpStep(59_000, 30)).toBe(1);
    expect(totpStep(60_000, 60)).toBe(1);
  });

  it('counts from t0 (in seconds)', () => {
    expect(totpStep(100_000, 30, 10)).toBe(3);
    expect(totpStep(39_999, 30, 10)).toBe(0);
    expect(totpStep(40_000, 30, 10)).toBe(1);
  });

  it('handles t=20000000000 s (past 2^32 seconds) and steps past 2^32', () => {
    // RFC 6238 Appendix B lists T = 0x0000000027BC86AA for this time.
    expect(totpStep(20000000000 * 1000, 30)).toBe(0x27bc86aa);
    expect(totpStep(2 ** 32 * 30 * 1000, 30)).toBe(2 ** 32);
  });

  it('does not wrap a step past 2^32 onto a 32-bit counter', () => {
    const secret = Buffer.from(secrets.SHA1, 'ascii');
    const opts = { algorithm: 'SHA1', digits: 8, period: 30 } as const;
    expect(totp(secret, (2 ** 32 + 1) * 30 * 1000, opts)).not.toBe(totp(secret, 30 * 1000, opts));
  });

  it('refuses a non-positive or fractional period and non-finite times', () => {
    expect(() => totpStep(0, 0)).toThrow(RangeError);
    expect(() => totpStep(0, -30)).toThrow(RangeError);
    expect(() => totpStep(0, 30.5)).toThrow(RangeError);
    expect(() => totpStep(Number.NaN, 30)).toThrow(RangeError);
  });
});
