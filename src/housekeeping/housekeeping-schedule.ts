import type { JobSpec } from '../jobs/job-types.js';
import { type PeriodicJob, periodicContinuation, periodicJob } from '../jobs/periodic-job.js';

/** The job kind of the housekeeping run (job kinds are `[a-z0-9-]`). */
export const HOUSEKEEPING = 'housekeeping';

/** Housekeeping runs on hour boundaries: one job per slot, however many instances ask for it. */
export const HOUSEKEEPING_SLOT_MS = 60 * 60 * 1000;

const SCHEDULE: PeriodicJob = { kind: HOUSEKEEPING, slotMs: HOUSEKEEPING_SLOT_MS };

/** The housekeeping job for the first slot boundary after `at`. */
export function housekeepingJob(at: number): JobSpec {
  return periodicJob(SCHEDULE, at);
}

/** A run that continues at once (the last one stopped at its time budget with work left). */
export function housekeepingContinuation(now: number, run: string): JobSpec {
  return periodicContinuation(SCHEDULE, now, run);
}
