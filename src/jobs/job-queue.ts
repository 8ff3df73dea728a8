import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import { newId } from '../crypto/random.js';
import { AppError } from '../shared/errors.js';
import type { Db } from '../store/open-store.js';
import { type JobLease, jobsRepo } from '../store/repos/jobs.js';
import type { JobRow } from '../store/schema.js';
import { afterFailure, type FailureOutcome } from './backoff.js';
import { DEFAULT_MAX_ATTEMPTS, type JobSpec, PermanentJobError } from './job-types.js';

/** A job a worker holds a lease on. */
export interface ClaimedJob extends JobLease {
  kind: string;
  /** The payload as stored (JSON text). */
  payload: string;
  maxAttempts: number;
}

const SYSTEM: Actor = { label: 'system' };
const KIND = /^[a-z][a-z0-9-]{0,63}$/;
const LEASE_EXPIRED = 'lease expired: the worker stopped or hung before finishing';
/** Rows per multi-row insert: 13 parameters each stays far below either dialect's limit. */
const INSERT_BATCH = 500;
/** Longest error text kept on a job (it is for operators, not a log). */
const MAX_ERROR = 500;

/** Text of a failure for `last_error`. */
export function errorText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.slice(0, MAX_ERROR);
}

/**
 * The durable queue in the store. Enqueueing joins the caller's transaction; claiming,
 * completing and failing are conditional updates, so any number of workers on any number of
 * instances run each job once per lease.
 */
export class JobQueue {
  constructor(private readonly ctx: Context) {}

  /**
   * Enqueues inside `trx`, so the job commits with the change that caused it or not at all.
   * With an idempotency key that is already taken nothing is written and the first job's id is
   * returned (`created: false`).
   */
  async enqueue(trx: Db, spec: JobSpec): Promise<{ id: string; created: boolean }> {
    const row = this.newRow(spec, this.ctx.clock.now());
    const created = await jobsRepo.insert(trx, row);
    if (created || spec.idempotencyKey === undefined) return { id: row.id, created: true };
    const first = await jobsRepo.byIdempotencyKey(trx, spec.idempotencyKey);
    return { id: first!.id, created: false };
  }

  /**
   * Enqueues many jobs inside `trx` with a few multi-row inserts (bulk paths: a joiner wave's
   * invitations). Taken idempotency keys are skipped; returns how many jobs are new.
   */
  async enqueueMany(trx: Db, specs: readonly JobSpec[]): Promise<number> {
    const now = this.ctx.clock.now();
    const rows = specs.map((spec) => this.newRow(spec, now));
    let created = 0;
    for (let i = 0; i < rows.length; i += INSERT_BATCH) {
      created += await jobsRepo.insertMany(trx, rows.slice(i, i + INSERT_BATCH));
    }
    return created;
  }

  private newRow(spec: JobSpec, now: number) {
    if (!KIND.test(spec.kind)) throw new AppError('VALIDATION_FAILED', `bad job kind ${spec.kind}`);
    const maxAttempts = spec.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 100) {
      throw new AppError('VALIDATION_FAILED', 'maxAttempts must be 1 to 100');
    }
    return {
      id: spec.id ?? newId(),
      kind: spec.kind,
      payload: JSON.stringify(spec.payload),
      idempotency_key: spec.idempotencyKey ?? null,
      state: 'queued' as const,
      max_attempts: maxAttempts,
      run_at: spec.runAt ?? now,
      locked_by: null,
      locked_until: null,
      last_error: null,
      created_at: now,
      updated_at: now,
      done_at: null,
    };
  }

  /**
   * Takes back the jobs whose worker's lease ran out before `now` (it crashed or hung): they
   * are due again at once, or dead (and audited) when they have used every attempt.
   */
  async sweepExpiredLeases(now: number): Promise<void> {
    if (!(await jobsRepo.anyExpired(this.ctx.store.db, now))) return;
    await this.ctx.store.transaction(async (trx) => {
      const dead = await jobsRepo.buryExpired(trx, now, LEASE_EXPIRED);
      if (dead.length > 0) {
        await this.ctx.audit.append(
          trx,
          SYSTEM,
          ...dead.map((j) => ({
            action: 'job.dead',
            subject: j.id,
            outcome: 'failure' as const,
            details: { kind: j.kind, attempts: j.attempts, reason: 'lease expired' },
          })),
        );
      }
      await jobsRepo.requeueExpired(trx, now, LEASE_EXPIRED);
    });
  }

  /**
   * Claims up to `limit` due jobs of `kinds` (those the worker can run: a kind no instance
   * knows yet stays queued for one that does) for `workerId`, each leased until now + leaseMs.
   */
  async claim(
    workerId: string,
    kinds: readonly string[],
    opts: { limit: number; leaseMs: number; now: number },
  ): Promise<ClaimedJob[]> {
    if (kinds.length === 0 || opts.limit < 1) return [];
    const { store } = this.ctx;
    const { limit, now } = opts;
    if (!(await jobsRepo.anyDue(store.db, kinds, now))) return [];
    const rows = await store.transaction((trx) =>
      jobsRepo.claim(trx, store.caps, {
        kinds,
        lockedBy: workerId,
        lockedUntil: now + opts.leaseMs,
        now,
        limit,
      }),
    );
    return rows.sort((a, b) => a.run_at - b.run_at).map((r) => toClaimed(r, workerId));
  }

  /**
   * Marks the job done; false when its lease had expired and the job was taken back meanwhile.
   * Through group commit: jobs finishing together share one commit (one fsync on SQLite).
   */
  complete(job: ClaimedJob, now: number): Promise<boolean> {
    return this.ctx.store.groupCommit((trx) => jobsRepo.complete(trx, job, now));
  }

  /**
   * Records a failed run: retried after back-off, or `failed` (PermanentJobError) or `dead`
   * (out of attempts), both audited. Returns the outcome, or undefined when the lease was lost.
   */
  async fail(job: ClaimedJob, err: unknown, now: number): Promise<FailureOutcome | undefined> {
    const outcome = afterFailure(job, err instanceof PermanentJobError, now);
    return this.ctx.store.groupCommit(async (trx) => {
      if (!(await jobsRepo.fail(trx, job, outcome, errorText(err), now))) return undefined;
      if (outcome.state !== 'queued') {
        await this.ctx.audit.append(trx, SYSTEM, {
          action: `job.${outcome.state}`,
          subject: job.id,
          outcome: 'failure',
          details: { kind: job.kind, attempts: job.attempts },
        });
      }
      return outcome;
    });
  }
}

function toClaimed(row: JobRow, workerId: string): ClaimedJob {
  return {
    id: row.id,
    kind: row.kind,
    payload: row.payload,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    lockedBy: workerId,
  };
}
