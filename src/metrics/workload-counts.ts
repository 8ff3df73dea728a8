import type { Context } from '../context.js';
import type { ExceptionService } from '../policy/exception-service.js';
import { workloadCountsRepo } from '../store/repos/workload-counts.js';

/** Open work the friction gauges add to the dashboard snapshot: requirements, exceptions, recovery requests. */
export interface WorkloadCounts {
  requirements: { open: number; overdue: number };
  exceptions: { active: number; expiring: number; overdue: number };
  recoveryRequests: Record<string, number>;
}

/** Reads the counts now, on the read connection; exceptions through their service (its notion of expiring). */
export function workloadCounts(ctx: Context, exceptions: ExceptionService): () => Promise<WorkloadCounts> {
  return async () => {
    const now = ctx.clock.now();
    const db = ctx.store.reader;
    const [requirements, recoveryRequests, active, expiring, overdue] = await Promise.all([
      workloadCountsRepo.requirements(db, now),
      workloadCountsRepo.recoveryByState(db, now),
      exceptions.list('active'),
      exceptions.list('expiring'),
      exceptions.list('overdue'),
    ]);
    return {
      requirements,
      exceptions: { active: active.length, expiring: expiring.length, overdue: overdue.length },
      recoveryRequests,
    };
  };
}
