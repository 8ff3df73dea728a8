import { performance } from 'node:perf_hooks';
import type { Actor } from '../audit/audit-log.js';
import { changeState } from '../authenticators/change-state.js';
import type { Context } from '../context.js';
import type { JobService } from '../jobs/job-service.js';
import type { JobRun } from '../jobs/job-types.js';
import { AppError } from '../shared/errors.js';
import type { Db } from '../store/open-store.js';
import { authenticatorsRepo } from '../store/repos/authenticators.js';
import { jobsRepo } from '../store/repos/jobs.js';
import { oidcModelsRepo } from '../store/repos/oidc-models.js';
import { outboxRepo } from '../store/repos/outbox.js';
import { housekeepingContinuation, housekeepingJob } from './housekeeping-schedule.js';

const HOUSEKEEPER: Actor = { label: 'system:housekeeping' };
const DAY = 24 * 60 * 60 * 1000;

/** What one run removed or retired. */
export interface HousekeepingResult {
  /** `done` jobs past the retention, deleted. */
  jobs: number;
  /** Dev-outbox messages past the retention, deleted. */
  outbox: number;
  /** oidc-provider models (sessions, codes, grants, tokens, interactions) past their expiry, deleted. */
  oidcModels: number;
  /** Unredeemed access passes past their expiry, revoked (reason `expired`, audited). */
  accessPasses: number;
}

export interface HousekeepingOptions {
  /** Rows per statement (one short transaction each). Default 500. */
  batchSize: number;
  /** A run stops after this long and continues in a new job, well inside the worker's lease. Default 60 s. */
  budgetMs: number;
}

/**
 * Housekeeping (job `housekeeping`, hourly, one run across every instance): deletes finished
 * jobs and dev-outbox messages older than their retention (PORTCULLIS_JOB_RETENTION_DAYS,
 * PORTCULLIS_OUTBOX_RETENTION_DAYS) and expired oidc-provider models, and revokes expired,
 * never-redeemed access passes with an audit event each. Everything goes in bounded batches of
 * one short transaction each. Audit events are never deleted.
 */
export class HousekeepingService {
  private readonly opts: HousekeepingOptions;

  constructor(
    private readonly ctx: Context,
    private readonly jobs: JobService,
    opts: Partial<HousekeepingOptions> = {},
  ) {
    this.opts = { batchSize: 500, budgetMs: 60_000, ...opts };
  }

  /** Makes sure the next hourly run is queued (serve calls it at start; the chain renews itself). */
  async schedule(): Promise<void> {
    const { store, clock } = this.ctx;
    await store.transaction((trx) => this.jobs.enqueue(trx, housekeepingJob(clock.now())));
  }

  /** The job handler: one run, then the next one queued (a continuation at once if work was left). */
  async handle(run: JobRun): Promise<HousekeepingResult> {
    const { clock, config, store } = this.ctx;
    const now = clock.now();
    const started = performance.now();
    const overBudget = () => performance.now() - started > this.opts.budgetMs;
    const result: HousekeepingResult = { jobs: 0, outbox: 0, oidcModels: 0, accessPasses: 0 };
    // oidc-provider stamps its models' expiry on the system clock (see sso/adapter.ts), so they expire on it.
    const steps: Array<[keyof HousekeepingResult, (limit: number) => Promise<number>]> = [
      [
        'jobs',
        (n) => this.deleteIn((trx) => jobsRepo.deleteDoneBefore(trx, now - config.jobRetentionDays * DAY, n)),
      ],
      [
        'outbox',
        (n) =>
          this.deleteIn((trx) => outboxRepo.deleteSentBefore(trx, now - config.outboxRetentionDays * DAY, n)),
      ],
      ['oidcModels', (n) => this.deleteIn((trx) => oidcModelsRepo.deleteExpired(trx, Date.now(), n))],
      ['accessPasses', (n) => this.expireAccessPasses(now, n)],
    ];
    let finished = true;
    for (const [name, step] of steps) {
      if (!(await this.drain(step, result, name, overBudget))) {
        finished = false;
        break;
      }
    }
    const next = finished ? housekeepingJob(now) : housekeepingContinuation(now, run.id);
    await store.transaction((trx) => this.jobs.enqueue(trx, next));
    if (result.jobs + result.outbox + result.oidcModels + result.accessPasses > 0) {
      this.ctx.logger.info({ ...result, finished }, 'housekeeping');
    }
    return result;
  }

  /** Runs `step` batch after batch until a batch comes back short; false when the budget ran out first. */
  private async drain(
    step: (limit: number) => Promise<number>,
    result: HousekeepingResult,
    name: keyof HousekeepingResult,
    overBudget: () => boolean,
  ): Promise<boolean> {
    for (;;) {
      const n = await step(this.opts.batchSize);
      result[name] += n;
      if (n < this.opts.batchSize) return true;
      if (overBudget()) return false;
    }
  }

  private deleteIn(work: (trx: Db) => Promise<number>): Promise<number> {
    return this.ctx.store.transaction(work);
  }

  /**
   * Revokes up to `limit` expired access passes, each in its own transaction with its audit
   * event; a pass redeemed or revoked meanwhile (INVALID_STATE) is left as it is now.
   * Returns how many passes were looked at (so a full batch asks for another).
   */
  private async expireAccessPasses(now: number, limit: number): Promise<number> {
    const { store } = this.ctx;
    const rows = await authenticatorsRepo.expiredAccessPasses(store.db, now, limit);
    for (const row of rows) {
      try {
        await store.transaction((trx) => changeState(this.ctx, trx, HOUSEKEEPER, row, 'revoke', 'expired'));
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'INVALID_STATE')) throw err;
      }
    }
    return rows.length;
  }
}
