import { describe, expect, it } from 'vitest';
import { MIN_IMPORTED_SEED_BYTES, NEW_SEED_BYTES, otpParamsSchema, storedOtpParams } from './params.js';

describe('otpParamsSchema', () => {
  it('fills the defaults', () => {
    expect(otpParamsSchema.parse({})).toEqual({ algorithm: 'SHA1', digits: 6, period: 30 });
  });

  it('keeps valid explicit values', () => {
    expect(otpParamsSchema.parse({ algorithm: 'SHA512', digits: 8, period: 60 })).toEqual({
      algorithm: 'SHA512',
      digits: 8,
      period: 60,
    });
    expect(otpParamsSchema.parse({ period: 15 }).period).toBe(15);
    expect(otpParamsSchema.parse({ period: 120 }).period).toBe(120);
    expect(otpParamsSchema.parse({ algorithm: 'SHA256' }).algorithm).toBe('SHA256');
  });

  it.each([
    { algorithm: 'MD5' },
    { algorithm: 'sha1' },
    { digits: 7 },
    { digits: 4 },
    { digits: '6' },
    { period: 14 },
    { period: 121 },
    { period: 30.5 },
    { period: '30' },
  ])('rejects %j', (input) => {
    expect(otpParamsSchema.safeParse(input).success).toBe(false);
  });
});

describe('seed size constants', () => {
  it('match SECURITY.md', () => {
    expect(MIN_IMPORTED_SEED_BYTES).toBe(16);
    expect(NEW_SEED_BYTES).toBe(20);
    expect(NEW_SEED_BYTES * 8).toBeGreaterThanOrEqual(112);
  });
});

describe('storedOtpParams', () => {
  it('parses stored text as the schema does, anew when the text differs', () => {
    expect(storedOtpParams('{"algorithm":"SHA256","digits":8}')).toEqual({
      algorithm: 'SHA256',
      digits: 8,
      period: 30,
    });
    // Asked again (now from memory), and for a changed text: each answer follows its own text.
    expect(storedOtpParams('{"algorithm":"SHA256","digits":8}').digits).toBe(8);
    expect(storedOtpParams('{"algorithm":"SHA256","digits":6}').digits).toBe(6);
    expect(Object.isFrozen(storedOtpParams('{}'))).toBe(true);
  });

  it('refuses invalid text every time it is asked', () => {
    for (let i = 0; i < 2; i++) {
      expect(() => storedOtpParams('{"digits":7}')).toThrow();
      expect(() => storedOtpParams('not json')).toThrow();
    }
  });
});
