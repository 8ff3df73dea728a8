import type { JobSpec } from './job-types.js';

/**
 * A self-renewing periodic job: one job per time slot, however many instances or events ask for
 * it (the slot is in the idempotency key), and the handler renews the chain after each run.
 */
export interface PeriodicJob {
  /** The job kind (`[a-z0-9-]`, see job-queue.ts). */
  readonly kind: string;
  /** The slot length; runs fall on its boundaries. */
  readonly slotMs: number;
}

/**
 * The job for the first slot boundary after `at`: strictly after by default, or `at` itself when
 * `at` is a boundary and `atOrAfter` is set.
 */
export function periodicJob(job: PeriodicJob, at: number, atOrAfter = false): JobSpec {
  const slot = atOrAfter ? Math.ceil(at / job.slotMs) : Math.floor(at / job.slotMs) + 1;
  return {
    kind: job.kind,
    payload: {},
    idempotencyKey: `${job.kind}:${slot}`,
    runAt: slot * job.slotMs,
  };
}

/** A run that continues at once (run `run` stopped at its time budget with work left). */
export function periodicContinuation(job: PeriodicJob, now: number, run: string): JobSpec {
  return { kind: job.kind, payload: {}, idempotencyKey: `${job.kind}:after:${run}`, runAt: now };
}
