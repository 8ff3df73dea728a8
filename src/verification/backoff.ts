/** The first lock once the free failures are used up (issue 2: back-off from 30 s). */
export const FIRST_LOCK_MS = 30_000;
/** The longest lock: an attacker can slow a person down, never lock them out for good. */
export const MAX_LOCK_MS = 60 * 60 * 1000;

/**
 * How long an account locks after its `failures`-th consecutive failure: nothing while under
 * `freeFailures`, then 30 s doubling with each further failure, capped at one hour. NIST
 * 800-63B 3.2.2 allows at most 100 consecutive failures; with any `freeFailures` ≤ 100 a right
 * code stops working (during the lock) before then.
 */
export function lockDurationMs(failures: number, freeFailures: number): number {
  if (failures < freeFailures) return 0;
  const doublings = Math.min(failures - freeFailures, 20);
  return Math.min(FIRST_LOCK_MS * 2 ** doublings, MAX_LOCK_MS);
}

/** Whole seconds until `lockedUntil`, at least 1 (the Retry-After value). */
export function retryAfterSeconds(lockedUntil: number, now: number): number {
  return Math.max(1, Math.ceil((lockedUntil - now) / 1000));
}
