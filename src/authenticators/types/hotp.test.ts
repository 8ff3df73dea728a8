import { describe, expect, it } from 'vitest';
import { decodeBase32, encodeBase32, hotp } from '../otp/index.js';
import { HOTP_LOOK_AHEAD, hotpType } from './hotp.js';

const ctx = { now: Date.UTC(2026, 0, 1), issuer: 'Acme', account: 'alice', accessPassMinutes: 60 };
const seed = Buffer.from('12345678901234567890', 'ascii');
const params = { algorithm: 'SHA1', digits: 6 } as const;
const codeAt = (c: number) => hotp(seed, c, params);

describe('hotp type', () => {
  it('starts at counter 0 with a fresh 20-byte seed', () => {
    const issued = hotpType.issue(hotpType.options.parse({ type: 'hotp' }), ctx);
    expect(issued.secret?.length).toBe(20);
    expect(issued.counter).toBe(0);
    expect(issued.params).toEqual({ algorithm: 'SHA1', digits: 6 });
    const uri = new URL(String(issued.reveal.otpauthUri));
    expect(uri.host).toBe('hotp');
    expect(uri.searchParams.get('counter')).toBe('0');
    expect(decodeBase32(uri.searchParams.get('secret')!)).toEqual(issued.secret);
  });

  it('takes a brought seed and a starting counter', () => {
    const options = hotpType.options.parse({ type: 'hotp', secret: encodeBase32(seed), counter: 42 });
    const issued = hotpType.issue(options, ctx);
    expect(issued.secret).toEqual(seed);
    expect(issued.counter).toBe(42);
    expect(new URL(String(issued.reveal.otpauthUri)).searchParams.get('counter')).toBe('42');
  });

  it('refuses a negative or fractional counter and unknown options', () => {
    expect(hotpType.options.safeParse({ type: 'hotp', counter: -1 }).success).toBe(false);
    expect(hotpType.options.safeParse({ type: 'hotp', counter: 1.5 }).success).toBe(false);
    expect(hotpType.options.safeParse({ type: 'hotp', window: 3 }).success).toBe(false);
  });

  it('accepts a code within the look-ahead and moves the counter past it', () => {
    const row = { params: JSON.stringify(params), counter: 5 };
    expect(hotpType.check!(row, seed, codeAt(5), 0)).toEqual({ ok: true, counter: 6 });
    expect(hotpType.check!(row, seed, codeAt(5 + HOTP_LOOK_AHEAD), 0)).toEqual({
      ok: true,
      counter: 6 + HOTP_LOOK_AHEAD,
    });
  });

  it('refuses codes behind the counter or beyond the look-ahead', () => {
    const row = { params: JSON.stringify(params), counter: 5 };
    expect(hotpType.check!(row, seed, codeAt(4), 0)).toEqual({ ok: false });
    expect(hotpType.check!(row, seed, codeAt(6 + HOTP_LOOK_AHEAD), 0)).toEqual({ ok: false });
  });
});
