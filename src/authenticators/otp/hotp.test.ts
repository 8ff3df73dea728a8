import { describe, expect, it } from 'vitest';
import { vectors } from './rfc-vectors.test-support.js';
import { hotp } from './hotp.js';

const secret = Buffer.from(vectors.hotp.secret_ascii, 'ascii');

describe('hotp', () => {
  it('uses the RFC 4226 parameters from the vector file', () => {
    expect(vectors.hotp.algorithm).toBe('SHA1');
    expect(vectors.hotp.digits).toBe(6);
    expect(vectors.hotp.codes_by_counter).toHaveLength(10);
  });

  it.each(vectors.hotp.codes_by_counter.map((code, counter) => [counter, code] as const))(
    'matches RFC 4226 Appendix D at counter %i',
    (counter, code) => {
      expect(hotp(secret, counter, { algorithm: 'SHA1', digits: 6 })).toBe(code);
    },
  );

  it('gives the same code for a bigint counter as for the number', () => {
    expect(hotp(secret, 7n, { algorithm: 'SHA1', digits: 6 })).toBe(vectors.hotp.codes_by_counter[7]);
  });

  it('zero-pads short codes to the requested length', () => {
    // RFC 4226 Appendix D: counter 0 truncates to 1284755224, so 8 and 7 digits keep the low digits.
    expect(hotp(secret, 0, { algorithm: 'SHA1', digits: 8 })).toBe('84755224');
    expect(hotp(secret, 0, { algorithm: 'SHA1', digits: 7 })).toBe('4755224');
    const codes = Array.from({ length: 200 }, (_, c) => hotp(secret, c, { algorithm: 'SHA1', digits: 6 }));
    expect(codes.every((c) => /^[0-9]{6}$/.test(c))).toBe(true);
    expect(codes.some((c) => c.startsWith('0'))).toBe(true);
  });

  it('uses the full 8-byte counter, so counters 2^32 apart differ', () => {
    const low = hotp(secret, 1, { algorithm: 'SHA1', digits: 6 });
    const high = hotp(secret, 2 ** 32 + 1, { algorithm: 'SHA1', digits: 6 });
    expect(high).not.toBe(low);
    expect(hotp(secret, 2n ** 32n + 1n, { algorithm: 'SHA1', digits: 6 })).toBe(high);
  });

  it('refuses counters that cannot be written as an unsigned 64-bit integer', () => {
    const opts = { algorithm: 'SHA1', digits: 6 } as const;
    expect(() => hotp(secret, -1, opts)).toThrow(RangeError);
    expect(() => hotp(secret, 1.5, opts)).toThrow(RangeError);
    expect(() => hotp(secret, Number.MAX_SAFE_INTEGER + 1, opts)).toThrow(RangeError);
    expect(() => hotp(secret, 2n ** 64n, opts)).toThrow(RangeError);
    expect(() => hotp(secret, 2n ** 64n - 1n, opts)).not.toThrow();
  });
});
