import { describe, expect, it } from 'vitest';
import { hotp } from './hotp.js';
import { verifyTotp } from './verify-totp.js';

const secret = Buffer.from('12345678901234567890', 'ascii');
const period = 30;
const NOW_STEP = 50_000_000;
// Mid-step, so "now" is unambiguous whatever the rounding.
const nowMs = NOW_STEP * period * 1000 + 12_345;
const base = { secret, nowMs, algorithm: 'SHA1', digits: 6, period, lastStep: null } as const;
const codeAt = (step: number) => hotp(secret, step, { algorithm: 'SHA1', digits: 6 });

describe('verifyTotp', () => {
  it('accepts the current code and reports its step', () => {
    expect(verifyTotp({ ...base, code: codeAt(NOW_STEP) })).toEqual({ ok: true, step: NOW_STEP });
  });

  it('accepts one step either side by default', () => {
    expect(verifyTotp({ ...base, code: codeAt(NOW_STEP - 1) })).toEqual({ ok: true, step: NOW_STEP - 1 });
    expect(verifyTotp({ ...base, code: codeAt(NOW_STEP + 1) })).toEqual({ ok: true, step: NOW_STEP + 1 });
  });

  it('refuses codes two steps away', () => {
    expect(verifyTotp({ ...base, code: codeAt(NOW_STEP - 2) })).toEqual({ ok: false });
    expect(verifyTotp({ ...base, code: codeAt(NOW_STEP + 2) })).toEqual({ ok: false });
  });

  it('with window 0 accepts only the current step', () => {
    expect(verifyTotp({ ...base, window: 0, code: codeAt(NOW_STEP) })).toEqual({ ok: true, step: NOW_STEP });
    expect(verifyTotp({ ...base, window: 0, code: codeAt(NOW_STEP - 1) })).toEqual({ ok: false });
    expect(verifyTotp({ ...base, window: 0, code: codeAt(NOW_STEP + 1) })).toEqual({ ok: false });
  });

  it('refuses a window wider than one step', () => {
    expect(() => verifyTotp({ ...base, window: 2, code: codeAt(NOW_STEP) })).toThrow(RangeError);
    expect(() => verifyTotp({ ...base, window: -1, code: codeAt(NOW_STEP) })).toThrow(RangeError);
    expect(() => verifyTotp({ ...base, window: 0.5, code: codeAt(NOW_STEP) })).toThrow(RangeError);
  });

  it('refuses a replay of the last accepted step', () => {
    const code = codeAt(NOW_STEP);
    const first = verifyTotp({ ...base, code });
    expect(first).toEqual({ ok: true, step: NOW_STEP });
    expect(verifyTotp({ ...base, code, lastStep: NOW_STEP })).toEqual({ ok: false });
  });

  it('refuses any step before the last accepted one, even inside the window', () => {
    expect(verifyTotp({ ...base, code: codeAt(NOW_STEP - 1), lastStep: NOW_STEP })).toEqual({ ok: false });
    expect(verifyTotp({ ...base, code: codeAt(NOW_STEP), lastStep: NOW_STEP + 1 })).toEqual({ ok: false });
    expect(verifyTotp({ ...base, code: codeAt(NOW_STEP + 1), lastStep: NOW_STEP + 1 })).toEqual({
      ok: false,
    });
  });

  it('accepts a later step than the last accepted one', () => {
    expect(verifyTotp({ ...base, code: codeAt(NOW_STEP), lastStep: NOW_STEP - 1 })).toEqual({
      ok: true,
      step: NOW_STEP,
    });
    expect(verifyTotp({ ...base, code: codeAt(NOW_STEP + 1), lastStep: NOW_STEP })).toEqual({
      ok: true,
      step: NOW_STEP + 1,
    });
  });

  it('refuses a wrong code', () => {
    const right = codeAt(NOW_STEP);
    const wrong = ((Number(right) + 1) % 1_000_000).toString().padStart(6, '0');
    const inWindow = [codeAt(NOW_STEP - 1), right, codeAt(NOW_STEP + 1)];
    expect(inWindow).not.toContain(wrong);
    expect(verifyTotp({ ...base, code: wrong })).toEqual({ ok: false });
  });

  it('refuses malformed codes without throwing', () => {
    const right = codeAt(NOW_STEP);
    const malformed = [
      '',
      right.slice(0, 5),
      `${right}0`,
      `0${right}`,
      ` ${right}`,
      `${right.slice(0, 3)} ${right.slice(3)}`,
      `${right.slice(0, 5)}a`,
      '-12345',
      '1e+05',
      // Arabic-Indic digits would pass a naive \d check in some engines.
      '١٢٣٤٥٦',
      right.replace(/[0-9]/, (d) => String.fromCharCode(0xff10 + Number(d))),
    ];
    for (const code of malformed) {
      expect(() => verifyTotp({ ...base, code })).not.toThrow();
      expect(verifyTotp({ ...base, code }), JSON.stringify(code)).toEqual({ ok: false });
    }
    // A non-string from an untyped caller is refused too.
    expect(verifyTotp({ ...base, code: Number(right) as unknown as string })).toEqual({ ok: false });
  });

  it('checks the 8-digit length when digits is 8', () => {
    const eight = hotp(secret, NOW_STEP, { algorithm: 'SHA1', digits: 8 });
    expect(verifyTotp({ ...base, digits: 8, code: eight })).toEqual({ ok: true, step: NOW_STEP });
    expect(verifyTotp({ ...base, digits: 8, code: eight.slice(2) })).toEqual({ ok: false });
  });

  it('picks the lowest acceptable step when two steps share a code', () => {
    // Found by search: with this seed, SHA1 and 6 digits, counters 910737 and 910738 both give 911617.
    const low = 910737;
    expect(codeAt(low)).toBe('911617');
    expect(codeAt(low + 1)).toBe('911617');
    const at = { ...base, nowMs: (low + 1) * period * 1000, code: '911617' };
    expect(verifyTotp(at)).toEqual({ ok: true, step: low });
    expect(verifyTotp({ ...at, lastStep: low })).toEqual({ ok: true, step: low + 1 });
    expect(verifyTotp({ ...at, lastStep: low + 1 })).toEqual({ ok: false });
  });

  it('never accepts a step before zero', () => {
    const code = hotp(secret, 0, { algorithm: 'SHA1', digits: 6 });
    expect(verifyTotp({ ...base, nowMs: 0, code })).toEqual({ ok: true, step: 0 });
    expect(verifyTotp({ ...base, nowMs: 0, code, lastStep: 0 })).toEqual({ ok: false });
  });
});
