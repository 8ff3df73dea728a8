import type { Db } from '../store/open-store.js';
import { usersRepo } from '../store/repos/users.js';
import { lockDurationMs } from './backoff.js';

/**
 * The one failure counter per account, shared by every path that checks something a person
 * presents (validation API, sign-in, recovery codes). Call inside the operation's transaction.
 */
export const failureCounter = {
  /** Counts a failure and sets the lock the back-off rule asks for; returns the new count. */
  async fail(
    trx: Db,
    userId: string,
    now: number,
    freeFailures: number,
  ): Promise<{ failures: number; lockedUntil: number | null }> {
    const failures = await usersRepo.recordFailure(trx, userId);
    const lock = lockDurationMs(failures, freeFailures);
    const lockedUntil = lock > 0 ? now + lock : null;
    if (lockedUntil !== null) await usersRepo.setLockedUntil(trx, userId, lockedUntil);
    return { failures, lockedUntil };
  },

  /**
   * A success clears the count (no write when already clear). `current` is the throttle state
   * read in this same transaction (after the row lock): when it is already clear, not even the
   * conditional UPDATE runs.
   */
  async succeed(
    trx: Db,
    userId: string,
    current?: { failed_attempts: number; locked_until: number | null },
  ): Promise<void> {
    if (current && current.failed_attempts === 0 && current.locked_until === null) return;
    await usersRepo.resetFailures(trx, userId);
  },

  /** Whether the lock is in force at `now`. */
  isLocked(lockedUntil: number | null, now: number): boolean {
    return lockedUntil !== null && lockedUntil > now;
  },
};
