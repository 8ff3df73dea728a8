import { describe, expect, it } from 'vitest';
import { isAppError } from '../../shared/errors.js';
import { decodeBase32, encodeBase32, totp } from '../otp/index.js';
import { totpType } from './totp.js';

const ctx = { now: Date.UTC(2026, 0, 1), issuer: 'Acme', account: 'alice', accessPassMinutes: 60 };
const seed16 = Buffer.alloc(16, 0xab);

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isAppError(err) ? err.code : 'not an AppError';
  }
  return undefined;
}

describe('totp type', () => {
  it('makes a fresh 20-byte seed with the default parameters', () => {
    const issued = totpType.issue(totpType.options.parse({ type: 'totp' }), ctx);
    expect(issued.secret?.length).toBe(20);
    expect(issued.params).toEqual({ algorithm: 'SHA1', digits: 6, period: 30 });
    expect(issued.counter).toBeNull();
    expect(issued.oneTimeCodes).toEqual([]);
    const uri = new URL(String(issued.reveal.otpauthUri));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeBase32(uri.searchParams.get('secret')!)).toEqual(issued.secret);
    expect(issued.reveal.secret).toBe(encodeBase32(issued.secret!));
  });

  it('two issues never share a seed', () => {
    const a = totpType.issue(totpType.options.parse({ type: 'totp' }), ctx);
    const b = totpType.issue(totpType.options.parse({ type: 'totp' }), ctx);
    expect(a.secret!.equals(b.secret!)).toBe(false);
  });

  it('keeps a brought seed and the chosen parameters', () => {
    const options = totpType.options.parse({
      type: 'totp',
      secret: encodeBase32(seed16).toLowerCase(),
      algorithm: 'SHA256',
      digits: 8,
      period: 60,
    });
    const issued = totpType.issue(options, ctx);
    expect(issued.secret).toEqual(seed16);
    expect(issued.params).toEqual({ algorithm: 'SHA256', digits: 8, period: 60 });
    expect(String(issued.reveal.otpauthUri)).toContain('algorithm=SHA256&digits=8&period=60');
  });

  it('refuses a brought seed under 16 bytes, and invalid base32, with INVALID_SECRET', () => {
    const short = totpType.options.parse({ type: 'totp', secret: encodeBase32(Buffer.alloc(15, 1)) });
    expect(errorCode(() => totpType.issue(short, ctx))).toBe('INVALID_SECRET');
    const bad = totpType.options.parse({ type: 'totp', secret: 'NOT-BASE32-0189!!' });
    expect(errorCode(() => totpType.issue(bad, ctx))).toBe('INVALID_SECRET');
  });

  it('refuses unknown options and out-of-range values', () => {
    expect(totpType.options.safeParse({ type: 'totp', counter: 3 }).success).toBe(false);
    expect(totpType.options.safeParse({ type: 'totp', digits: 7 }).success).toBe(false);
    expect(totpType.options.safeParse({ type: 'totp', algorithm: 'MD5' }).success).toBe(false);
    expect(totpType.options.safeParse({ type: 'hotp' }).success).toBe(false);
  });

  it('checks a code, reports its step, and refuses the same step again', () => {
    const params = { algorithm: 'SHA1', digits: 6, period: 30 } as const;
    const row = { params: JSON.stringify(params), counter: null };
    const now = ctx.now + 7_000;
    const code = totp(seed16, now, params);
    const step = Math.floor(now / 30_000);
    expect(totpType.check!(row, seed16, code, now)).toEqual({ ok: true, counter: step });
    expect(totpType.check!({ ...row, counter: step }, seed16, code, now)).toEqual({ ok: false });
    const wrong = `${(Number(code[0]) + 1) % 10}${code.slice(1)}`;
    expect(totpType.check!(row, seed16, wrong, now)).toEqual({ ok: false });
  });

  it('is validatable and not phishing-resistant', () => {
    expect(totpType.describe).toMatchObject({
      validatable: true,
      recoveryOnly: false,
      phishingResistant: false,
    });
  });
});
