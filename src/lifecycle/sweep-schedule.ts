import type { JobSpec } from '../jobs/job-types.js';
import { type PeriodicJob, periodicContinuation, periodicJob } from '../jobs/periodic-job.js';

/**
 * The job kind of the reminder/escalation sweep. (Job kinds are `[a-z0-9-]`, see
 * jobs/job-queue.ts, hence not `lifecycle.sweep`.)
 */
export const LIFECYCLE_SWEEP = 'lifecycle-sweep';

/** Sweeps run on hour boundaries: one job per slot, however many instances or events ask for it. */
export const SWEEP_SLOT_MS = 60 * 60 * 1000;

const SCHEDULE: PeriodicJob = { kind: LIFECYCLE_SWEEP, slotMs: SWEEP_SLOT_MS };

/** The sweep job for the first slot boundary at or after `at`. */
export function sweepJob(at: number): JobSpec {
  return periodicJob(SCHEDULE, at, true);
}

/** A sweep that continues at once (the last run stopped at its time budget with work left). */
export function continuationJob(now: number, run: string): JobSpec {
  return periodicContinuation(SCHEDULE, now, run);
}
