import { describe, expect, it } from 'vitest';
import { lockDurationMs, MAX_LOCK_MS, retryAfterSeconds } from './backoff.js';

describe('lockDurationMs', () => {
  it('allows the free failures without a lock', () => {
    for (let f = 0; f < 10; f++) expect(lockDurationMs(f, 10)).toBe(0);
  });

  it('starts at 30 s and doubles per further failure', () => {
    expect(lockDurationMs(10, 10)).toBe(30_000);
    expect(lockDurationMs(11, 10)).toBe(60_000);
    expect(lockDurationMs(12, 10)).toBe(120_000);
  });

  it('never exceeds one hour, however many failures', () => {
    expect(lockDurationMs(17, 10)).toBe(MAX_LOCK_MS);
    expect(lockDurationMs(10_000, 10)).toBe(MAX_LOCK_MS);
  });

  it('locks by the 100th consecutive failure even at the most lenient setting (NIST 3.2.2)', () => {
    expect(lockDurationMs(100, 100)).toBeGreaterThan(0);
  });
});

describe('retryAfterSeconds', () => {
  it('rounds up and is at least one second', () => {
    expect(retryAfterSeconds(1_500, 0)).toBe(2);
    expect(retryAfterSeconds(10, 10)).toBe(1);
  });
});
