import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { newId } from '../crypto/random.js';
import type { Clock } from '../shared/clock.js';
import { type ClaimedJob, errorText, type JobQueue } from './job-queue.js';
import { type JobHandler, PermanentJobError } from './job-types.js';

/** How often (by the worker's clock) it takes back jobs whose lease expired. */
const SWEEP_EVERY_MS = 5_000;

export interface WorkerOptions {
  clock: Clock;
  logger: Logger;
  /** Names this worker in `locked_by`; default host:pid:random. */
  workerId?: string;
  /** How often an idle worker looks for due jobs (ms); default 1000. */
  pollMs?: number;
  /** Jobs run at once by this worker; default 4. */
  concurrency?: number;
  /** How long a claimed job stays this worker's (ms); past it another worker takes it. Default 5 min. */
  leaseMs?: number;
}

/**
 * Runs jobs from the queue: claims due jobs up to its concurrency, runs each with the handler
 * registered for its kind (see JobHandler: handlers must be idempotent), and records the
 * outcome. `start()` polls in the background; `runOnce()` runs one batch now (tests drive it
 * with a ManualClock); `stop()` stops claiming and waits for the jobs in flight.
 * Handlers must finish well within the lease: there is no heartbeat.
 */
export class JobWorker {
  /** This worker's name in `locked_by`. */
  readonly id: string;
  private readonly handlers: Map<string, JobHandler>;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly pollMs: number;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly inFlight = new Set<Promise<void>>();
  private loop: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private nudged = false;
  private lastSweep: number | undefined;

  constructor(
    private readonly queue: JobQueue,
    handlers: ReadonlyMap<string, JobHandler>,
    opts: WorkerOptions,
  ) {
    this.handlers = new Map(handlers);
    this.clock = opts.clock;
    this.id = opts.workerId ?? `${hostname()}:${process.pid}:${newId().slice(0, 8)}`;
    this.logger = opts.logger.child({ worker: this.id });
    this.pollMs = opts.pollMs ?? 1_000;
    this.concurrency = opts.concurrency ?? 4;
    this.leaseMs = opts.leaseMs ?? 5 * 60_000;
  }

  /** Adds the handler for a job kind. */
  register(kind: string, handler: JobHandler): this {
    this.handlers.set(kind, handler);
    return this;
  }

  /** Starts polling in the background (no-op when already started). */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.poll();
    this.logger.info({ concurrency: this.concurrency, pollMs: this.pollMs }, 'job worker started');
  }

  /** Stops claiming, then waits until every job in flight has finished and been recorded. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.nudge();
    const wasRunning = this.loop !== undefined;
    await this.loop;
    this.loop = undefined;
    await Promise.all([...this.inFlight]);
    if (wasRunning) this.logger.info('job worker stopped');
  }

  /** Claims one batch of due jobs (up to the concurrency), runs them, and returns how many ran. */
  async runOnce(): Promise<number> {
    const jobs = await this.claim(this.concurrency);
    await Promise.all(jobs.map((job) => this.execute(job)));
    return jobs.length;
  }

  private async poll(): Promise<void> {
    while (!this.stopping) {
      const free = this.concurrency - this.inFlight.size;
      // Refill in batches (half the slots at least): one claim transaction serves several jobs.
      if (free >= Math.ceil(this.concurrency / 2)) {
        try {
          for (const job of await this.claim(free)) this.track(job);
        } catch (err) {
          // The database is away: try again at the next poll; leases keep jobs safe meanwhile.
          this.logger.error({ err: errorText(err) }, 'claiming jobs failed');
        }
      }
      if (!this.stopping) await this.pause();
    }
  }

  private async claim(limit: number): Promise<ClaimedJob[]> {
    const now = this.clock.now();
    // Leases last minutes: looking for expired ones on every claim would only add queries.
    if (this.lastSweep === undefined || now - this.lastSweep >= SWEEP_EVERY_MS) {
      await this.queue.sweepExpiredLeases(now);
      this.lastSweep = now;
    }
    return this.queue.claim(this.id, [...this.handlers.keys()], { limit, leaseMs: this.leaseMs, now });
  }

  private track(job: ClaimedJob): void {
    const running = this.execute(job).finally(() => {
      this.inFlight.delete(running);
      this.nudge(); // a slot is free: claim again without waiting for the poll interval
    });
    this.inFlight.add(running);
  }

  /** Waits for the poll interval, or less when nudged (a slot freed, or stop). */
  private pause(): Promise<void> {
    if (this.nudged) {
      this.nudged = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.nudged = false;
        resolve();
      };
      // unref: an idle worker never keeps the process alive by itself.
      const timer = setTimeout(done, this.pollMs);
      timer.unref();
      this.wake = done;
    });
  }

  private nudge(): void {
    if (this.wake) this.wake();
    else this.nudged = true;
  }

  /** Runs one job and records its outcome; never throws. */
  private async execute(job: ClaimedJob): Promise<void> {
    const log = this.logger.child({ job: job.id, kind: job.kind, attempt: job.attempts });
    try {
      const handler = this.handlers.get(job.kind);
      // Claims ask only for known kinds; this guards the contract, and stays retryable.
      if (!handler) throw new Error(`no handler for job kind ${job.kind} on this instance`);
      await handler(parsePayload(job), {
        id: job.id,
        kind: job.kind,
        attempt: job.attempts,
        maxAttempts: job.maxAttempts,
      });
    } catch (err) {
      try {
        const outcome = await this.queue.fail(job, err, this.clock.now());
        log.warn({ err: errorText(err), outcome: outcome?.state ?? 'lease lost' }, 'job failed');
      } catch (recordErr) {
        log.error({ err: errorText(recordErr) }, 'could not record a failed job (its lease will expire)');
      }
      return;
    }
    try {
      if (!(await this.queue.complete(job, this.clock.now()))) {
        log.warn('job finished after its lease expired; it may run again');
      }
    } catch (recordErr) {
      log.error({ err: errorText(recordErr) }, 'could not record a finished job (it will run again)');
    }
  }
}

function parsePayload(job: ClaimedJob): unknown {
  try {
    return JSON.parse(job.payload);
  } catch {
    throw new PermanentJobError('the payload is not valid JSON');
  }
}
