import { describe, expect, it } from 'vitest';
import { vectors } from './rfc-vectors.test-support.js';
import { hotp } from './hotp.js';
import { verifyHotp } from './verify-hotp.js';

const secret = Buffer.from(vectors.hotp.secret_ascii, 'ascii');
const base = { secret, algorithm: 'SHA1', digits: 6 } as const;
const codeAt = (counter: number) => hotp(secret, counter, { algorithm: 'SHA1', digits: 6 });
const COUNTER = 1000;

describe('verifyHotp', () => {
  it('accepts every RFC 4226 vector at its own counter and moves past it', () => {
    vectors.hotp.codes_by_counter.forEach((code, counter) => {
      expect(verifyHotp({ ...base, code, counter, lookAhead: 0 })).toEqual({
        ok: true,
        nextCounter: counter + 1,
      });
    });
  });

  it('accepts the expected counter', () => {
    expect(verifyHotp({ ...base, code: codeAt(COUNTER), counter: COUNTER })).toEqual({
      ok: true,
      nextCounter: COUNTER + 1,
    });
  });

  it('accepts a match at +10 by default and returns the counter after it', () => {
    expect(verifyHotp({ ...base, code: codeAt(COUNTER + 10), counter: COUNTER })).toEqual({
      ok: true,
      nextCounter: COUNTER + 11,
    });
  });

  it('refuses a match at +11 by default', () => {
    const code = codeAt(COUNTER + 11);
    const searched = Array.from({ length: 11 }, (_, i) => codeAt(COUNTER + i));
    expect(searched).not.toContain(code);
    expect(verifyHotp({ ...base, code, counter: COUNTER })).toEqual({ ok: false });
  });

  it('honours a custom look-ahead', () => {
    expect(verifyHotp({ ...base, code: codeAt(COUNTER + 3), counter: COUNTER, lookAhead: 3 })).toEqual({
      ok: true,
      nextCounter: COUNTER + 4,
    });
    expect(verifyHotp({ ...base, code: codeAt(COUNTER + 4), counter: COUNTER, lookAhead: 3 })).toEqual({
      ok: false,
    });
    expect(verifyHotp({ ...base, code: codeAt(COUNTER + 1), counter: COUNTER, lookAhead: 0 })).toEqual({
      ok: false,
    });
  });

  it('refuses codes behind the expected counter (already used)', () => {
    const used = verifyHotp({ ...base, code: codeAt(COUNTER + 2), counter: COUNTER });
    expect(used).toEqual({ ok: true, nextCounter: COUNTER + 3 });
    for (const earlier of [COUNTER, COUNTER + 1, COUNTER + 2]) {
      expect(verifyHotp({ ...base, code: codeAt(earlier), counter: COUNTER + 3 })).toEqual({ ok: false });
    }
  });

  it('refuses malformed codes without throwing', () => {
    const right = codeAt(COUNTER);
    for (const code of [
      '',
      right.slice(1),
      `${right}1`,
      `${right.slice(0, 5)}x`,
      ` ${right.slice(1)}`,
      '١٢٣٤٥٦',
    ]) {
      expect(() => verifyHotp({ ...base, code, counter: COUNTER })).not.toThrow();
      expect(verifyHotp({ ...base, code, counter: COUNTER }), JSON.stringify(code)).toEqual({ ok: false });
    }
  });

  it('refuses invalid counters and look-aheads as programming errors', () => {
    const code = codeAt(COUNTER);
    expect(() => verifyHotp({ ...base, code, counter: -1 })).toThrow(RangeError);
    expect(() => verifyHotp({ ...base, code, counter: 1.5 })).toThrow(RangeError);
    expect(() => verifyHotp({ ...base, code, counter: COUNTER, lookAhead: -1 })).toThrow(RangeError);
    expect(() => verifyHotp({ ...base, code, counter: Number.MAX_SAFE_INTEGER })).toThrow(RangeError);
  });
});
