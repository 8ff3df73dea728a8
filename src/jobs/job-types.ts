import type { JobsTable } from '../store/schema.js';

/** Every state a job can be in (see JobsTable). */
export const JOB_STATES = [
  'queued',
  'running',
  'done',
  'failed',
  'dead',
] as const satisfies readonly JobsTable['state'][];
export type JobState = (typeof JOB_STATES)[number];

/** What to run, enqueued inside the caller's transaction. */
export interface JobSpec {
  /** The handler that runs it, e.g. `send-mail`. */
  kind: string;
  /**
   * JSON-serialisable input for the handler. Never a secret in clear: seal it
   * (`ctx.keyring.encrypt`, aad naming the job) under the key `sealed`, which read APIs omit.
   */
  payload: Record<string, unknown>;
  /** At most one job ever exists per key: enqueueing it again returns the first job. */
  idempotencyKey?: string;
  /** Not before this time (ms since the epoch); default now. */
  runAt?: number;
  /** Runs before it is given up as dead; default DEFAULT_MAX_ATTEMPTS. */
  maxAttempts?: number;
  /** Choose the id up front, e.g. to bind a sealed payload to it; default a new id. */
  id?: string;
}

/** Default attempts before a job is dead: with the back-off that spans about four hours. */
export const DEFAULT_MAX_ATTEMPTS = 10;

/** What a handler learns about the run it is doing. */
export interface JobRun {
  id: string;
  kind: string;
  /** 1 for the first run. */
  attempt: number;
  maxAttempts: number;
}

/**
 * Runs one job. Jobs are delivered AT LEAST ONCE: a worker can crash after the work and before
 * the job is marked done, and its lease then expires and another worker runs it again. So every
 * handler must be idempotent: make its effect conditional on not having happened (a unique key,
 * a conditional update), or harmless to repeat. Throw to fail the run (it is retried with
 * back-off); throw PermanentJobError when retrying cannot help.
 */
export type JobHandler = (payload: unknown, run: JobRun) => Promise<void>;

/** A failure no retry can fix (malformed payload, a target that no longer exists): the job ends `failed`. */
export class PermanentJobError extends Error {
  override name = 'PermanentJobError';
}
