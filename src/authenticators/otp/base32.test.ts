import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../shared/errors.js';
import { decodeBase32, encodeBase32 } from './base32.js';

// RFC 4648 §10 test vectors, with the padding stripped as we emit.
const RFC4648: Array<[string, string]> = [
  ['', ''],
  ['f', 'MY'],
  ['fo', 'MZXQ'],
  ['foo', 'MZXW6'],
  ['foob', 'MZXW6YQ'],
  ['fooba', 'MZXW6YTB'],
  ['foobar', 'MZXW6YTBOI'],
];

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isAppError(err) ? err.code : `non-AppError: ${String(err)}`;
  }
  return undefined;
}

describe('encodeBase32', () => {
  it.each(RFC4648)('encodes %j as %j', (plain, encoded) => {
    expect(encodeBase32(Buffer.from(plain, 'ascii'))).toBe(encoded);
  });

  it('encodes the RFC 4226 seed as the well-known secret', () => {
    expect(encodeBase32(Buffer.from('12345678901234567890', 'ascii'))).toBe(
      'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
    );
  });

  it('emits only uppercase alphabet characters and no padding', () => {
    for (let len = 1; len <= 40; len++) {
      expect(encodeBase32(randomBytes(len))).toMatch(/^[A-Z2-7]+$/);
    }
  });
});

describe('decodeBase32', () => {
  it.each(RFC4648.filter(([plain]) => plain !== ''))('decodes %j from %j', (plain, encoded) => {
    expect(decodeBase32(encoded).toString('ascii')).toBe(plain);
  });

  it('round-trips random buffers of every length up to 64 bytes', () => {
    for (let len = 1; len <= 64; len++) {
      const buf = randomBytes(len);
      expect(decodeBase32(encodeBase32(buf)).equals(buf)).toBe(true);
    }
  });

  it('accepts lowercase, spaces, hyphens and padding', () => {
    const foobar = Buffer.from('foobar', 'ascii');
    expect(decodeBase32('mzxw6ytboi').equals(foobar)).toBe(true);
    expect(decodeBase32('MZXW 6YTB OI').equals(foobar)).toBe(true);
    expect(decodeBase32('mzxw-6ytb-oi').equals(foobar)).toBe(true);
    expect(decodeBase32('MZXW6YTBOI======').equals(foobar)).toBe(true);
    expect(decodeBase32('MZXW6===').toString('ascii')).toBe('foo');
    expect(decodeBase32(' gezd gnbv gy3t qojq gezd gnbv gy3t qojq ').toString('ascii')).toBe(
      '12345678901234567890',
    );
  });

  it.each([
    ['a zero', 'MZXW60'],
    ['a one', 'MZXW61'],
    ['an eight', 'MZXW68'],
    ['punctuation', 'MZXW6!'],
    ['a non-ASCII letter', 'MZXWÉ6'],
    ['padding in the middle', 'MZ=XW6'],
  ])('rejects %s with INVALID_SECRET', (_what, input) => {
    expect(codeOf(() => decodeBase32(input))).toBe('INVALID_SECRET');
  });

  it.each([
    ['1 character', 'M'],
    ['3 characters', 'MZX'],
    ['6 characters', 'MZXW6Y'],
    ['9 characters', 'MZXW6YTBO'],
  ])('rejects an impossible length (%s) with INVALID_SECRET', (_what, input) => {
    expect(codeOf(() => decodeBase32(input))).toBe('INVALID_SECRET');
  });

  it('rejects padding that does not complete an 8-character block', () => {
    expect(codeOf(() => decodeBase32('MZXW6='))).toBe('INVALID_SECRET');
    expect(codeOf(() => decodeBase32('MZXW6====='))).toBe('INVALID_SECRET');
  });

  it('rejects an empty or blank secret', () => {
    expect(codeOf(() => decodeBase32(''))).toBe('INVALID_SECRET');
    expect(codeOf(() => decodeBase32(' - '))).toBe('INVALID_SECRET');
    expect(codeOf(() => decodeBase32('========'))).toBe('INVALID_SECRET');
  });

  it('does not put the secret in the error message', () => {
    try {
      decodeBase32('SUPERSECRETVALUE1');
      expect.unreachable();
    } catch (err) {
      expect(isAppError(err, 'INVALID_SECRET')).toBe(true);
      expect((err as Error).message).not.toContain('SUPERSECRET');
    }
  });
});
