import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import { AppError } from '../shared/errors.js';
import type { Db } from '../store/open-store.js';
import { jobsRepo } from '../store/repos/jobs.js';
import { JobQueue } from './job-queue.js';
import type { JobHandler, JobSpec, JobState } from './job-types.js';
import { type JobView, toJobView } from './job-view.js';
import { JobWorker, type WorkerOptions } from './worker.js';

/**
 * The jobs domain as the rest of Portcullis sees it: services enqueue inside their own
 * transaction, the composition root registers a handler per kind, `serve` runs a worker, and
 * admins list jobs and retry the ones that gave up.
 */
export class JobService {
  readonly queue: JobQueue;
  private readonly handlers = new Map<string, JobHandler>();

  constructor(private readonly ctx: Context) {
    this.queue = new JobQueue(ctx);
  }

  /** Enqueues inside the caller's transaction (see JobQueue.enqueue). */
  enqueue(trx: Db, spec: JobSpec): Promise<{ id: string; created: boolean }> {
    return this.queue.enqueue(trx, spec);
  }

  /** Enqueues many jobs inside the caller's transaction (see JobQueue.enqueueMany); returns how many are new. */
  enqueueMany(trx: Db, specs: readonly JobSpec[]): Promise<number> {
    return this.queue.enqueueMany(trx, specs);
  }

  /** Registers the handler for a kind (once per kind); workers made afterwards run it. */
  handle(kind: string, handler: JobHandler): void {
    if (this.handlers.has(kind)) throw new Error(`a handler for job kind ${kind} is already registered`);
    this.handlers.set(kind, handler);
  }

  /** A worker with every registered handler, on the context's clock and logger unless given. */
  worker(opts: Partial<WorkerOptions> = {}): JobWorker {
    return new JobWorker(this.queue, this.handlers, {
      clock: this.ctx.clock,
      logger: this.ctx.logger,
      ...opts,
    });
  }

  /** Newest first, optionally of one state and kind. */
  async list(opts: { state?: JobState; kind?: string; limit?: number } = {}): Promise<JobView[]> {
    const rows = await jobsRepo.list(this.ctx.store.db, { ...opts, limit: opts.limit ?? 100 });
    return rows.map(toJobView);
  }

  /** One job, or NOT_FOUND. */
  async get(id: string): Promise<JobView> {
    const row = await jobsRepo.byId(this.ctx.store.db, id);
    if (!row) throw new AppError('NOT_FOUND', `no job with id ${id}`);
    return toJobView(row);
  }

  /** Puts a failed or dead job back in the queue, due now, with its attempts reset. */
  async retry(actor: Actor, id: string): Promise<JobView> {
    return this.ctx.store.transaction(async (trx) => {
      const row = await jobsRepo.byId(trx, id);
      if (!row) throw new AppError('NOT_FOUND', `no job with id ${id}`);
      if (!(await jobsRepo.requeueFinal(trx, id, this.ctx.clock.now()))) {
        throw new AppError(
          'INVALID_STATE',
          `a ${row.state} job cannot be retried (only failed or dead ones)`,
        );
      }
      await this.ctx.audit.append(trx, actor, {
        action: 'job.retried',
        subject: id,
        details: { kind: row.kind, from: row.state, attempts: row.attempts },
      });
      return toJobView((await jobsRepo.byId(trx, id))!);
    });
  }
}
