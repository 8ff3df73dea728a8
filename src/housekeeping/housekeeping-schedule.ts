import type { JobSpec } from '../jobs/job-types.js';

/** The job kind of the housekeeping run (job kinds are `[a-z0-9-]`). */
export const HOUSEKEEPING = 'housekeeping';

/** Housekeeping runs on hour boundaries: one job per slot, however many instances ask for it. */
export const HOUSEKEEPING_SLOT_MS = 60 * 60 * 1000;

/** The housekeeping job for the first slot boundary after `at`. */
export function housekeepingJob(at: number): JobSpec {
  const slot = Math.floor(at / HOUSEKEEPING_SLOT_MS) + 1;
  return {
    kind: HOUSEKEEPING,
    payload: {},
    idempotencyKey: `${HOUSEKEEPING}:${slot}`,
    runAt: slot * HOUSEKEEPING_SLOT_MS,
  };
}

/** A run that continues at once (the last one stopped at its time budget with work left). */
export function housekeepingContinuation(now: number, run: string): JobSpec {
  return {
    kind: HOUSEKEEPING,
    payload: {},
    idempotencyKey: `${HOUSEKEEPING}:after:${run}`,
    runAt: now,
  };
}
