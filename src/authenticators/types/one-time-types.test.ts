import { describe, expect, it } from 'vitest';
import { normaliseHumanCode } from '../../crypto/random.js';
import { ACCESS_PASS_LENGTH, accessPassType } from './access-pass.js';
import { RECOVERY_CODE_COUNT, RECOVERY_CODE_LENGTH, recoveryCodesType } from './recovery-codes.js';

const ctx = { now: Date.UTC(2026, 0, 1), issuer: 'Acme', account: 'alice', accessPassMinutes: 60 };
const SYMBOL = '[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]';

describe('recovery codes type', () => {
  const issued = recoveryCodesType.issue(recoveryCodesType.options.parse({ type: 'recovery_codes' }), ctx);
  const shown = issued.reveal.codes as string[];

  it('issues ten unique codes of at least 64 bits, stored without a secret to seal', () => {
    expect(RECOVERY_CODE_COUNT).toBe(10);
    expect(issued.oneTimeCodes).toHaveLength(10);
    expect(new Set(issued.oneTimeCodes).size).toBe(10);
    // 5 bits per symbol from a 32-symbol alphabet.
    expect(RECOVERY_CODE_LENGTH * 5).toBeGreaterThanOrEqual(64);
    for (const c of issued.oneTimeCodes) expect(c).toMatch(new RegExp(`^${SYMBOL}{16}$`));
    expect(issued.secret).toBeNull();
  });

  it('shows each code grouped in fours, the same code as stored', () => {
    for (const c of shown) expect(c).toMatch(new RegExp(`^(${SYMBOL}{4}-){3}${SYMBOL}{4}$`));
    expect(shown.map(normaliseHumanCode)).toEqual(issued.oneTimeCodes);
  });

  it('is recovery-only and not validatable', () => {
    expect(recoveryCodesType.describe).toMatchObject({ validatable: false, recoveryOnly: true });
    expect(recoveryCodesType.options.safeParse({ type: 'recovery_codes', count: 5 }).success).toBe(false);
  });
});

describe('access pass type', () => {
  it('issues one 60-bit code expiring after the configured minutes', () => {
    const issued = accessPassType.issue(accessPassType.options.parse({ type: 'access_pass' }), ctx);
    expect(ACCESS_PASS_LENGTH * 5).toBeGreaterThanOrEqual(40);
    expect(issued.oneTimeCodes).toHaveLength(1);
    expect(issued.oneTimeCodes[0]).toMatch(new RegExp(`^${SYMBOL}{12}$`));
    expect(normaliseHumanCode(String(issued.reveal.code))).toBe(issued.oneTimeCodes[0]);
    expect(issued.expiresAt).toBe(ctx.now + 60 * 60_000);
    expect(issued.reveal.expiresAt).toBe(new Date(ctx.now + 60 * 60_000).toISOString());
  });

  it('takes a lifetime of 5 to 480 minutes', () => {
    const issued = accessPassType.issue(
      accessPassType.options.parse({ type: 'access_pass', minutes: 5 }),
      ctx,
    );
    expect(issued.expiresAt).toBe(ctx.now + 5 * 60_000);
    expect(accessPassType.options.safeParse({ type: 'access_pass', minutes: 4 }).success).toBe(false);
    expect(accessPassType.options.safeParse({ type: 'access_pass', minutes: 481 }).success).toBe(false);
  });

  it('is never accepted by the validation API', () => {
    expect(accessPassType.describe).toMatchObject({ validatable: false, recoveryOnly: true });
  });
});
