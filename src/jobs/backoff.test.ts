import { describe, expect, it } from 'vitest';
import { afterFailure, RETRY_CAP_MS, retryDelayMs } from './backoff.js';

describe('job back-off', () => {
  it('doubles from 30 s and stops at one hour', () => {
    expect([1, 2, 3, 4].map(retryDelayMs)).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(retryDelayMs(8)).toBe(RETRY_CAP_MS);
    expect(retryDelayMs(1_000)).toBe(RETRY_CAP_MS);
  });

  it('retries until the last attempt, then the job is dead; permanent errors fail at once', () => {
    expect(afterFailure({ attempts: 1, maxAttempts: 3 }, false, 1_000)).toEqual({
      state: 'queued',
      retryAt: 31_000,
    });
    expect(afterFailure({ attempts: 3, maxAttempts: 3 }, false, 1_000)).toEqual({ state: 'dead' });
    expect(afterFailure({ attempts: 1, maxAttempts: 3 }, true, 1_000)).toEqual({ state: 'failed' });
  });
});
