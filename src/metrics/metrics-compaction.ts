import type { Context } from '../context.js';
import type { JobService } from '../jobs/job-service.js';
import type { JobSpec } from '../jobs/job-types.js';
import { periodicJob } from '../jobs/periodic-job.js';
import { metricsRepo } from '../store/repos/metrics.js';

/** The job kind that folds the metrics tallies' deltas into their base rows (kinds are `[a-z0-9-]`). */
export const METRICS_COMPACT = 'metrics-compact';

/**
 * Compaction runs on minute boundaries, one job per slot however many instances ask: readers
 * sum the deltas appended since the last run, so a short period keeps every read small.
 */
export const METRICS_COMPACT_SLOT_MS = 60 * 1000;

/** The compaction job for the first slot boundary after `at`. */
export function metricsCompactJob(at: number): JobSpec {
  return periodicJob({ kind: METRICS_COMPACT, slotMs: METRICS_COMPACT_SLOT_MS }, at);
}

/**
 * Keeps the shared metrics tallies (migration 0011) compact: every change appends a delta row,
 * and this self-renewing job folds them into one row per key in one short transaction, which
 * also queues the next run. Harmless to repeat (a fold of nothing changes nothing).
 */
export class MetricsCompaction {
  constructor(
    private readonly ctx: Context,
    private readonly jobs: JobService,
  ) {}

  /** Makes sure the next run is queued (serve calls it at start; the chain renews itself). */
  async schedule(): Promise<void> {
    const { store, clock } = this.ctx;
    await store.transaction((trx) => this.jobs.enqueue(trx, metricsCompactJob(clock.now())));
  }

  /** The job handler: folds the pending deltas and queues the next run. Returns the delta rows folded. */
  async handle(): Promise<number> {
    const { store, clock } = this.ctx;
    return store.transaction(async (trx) => {
      const folded = await metricsRepo.compactDeltas(trx);
      await this.jobs.enqueue(trx, metricsCompactJob(clock.now()));
      return folded;
    });
  }
}
