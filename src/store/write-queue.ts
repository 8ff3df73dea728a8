import { type Kysely, sql, type Transaction } from 'kysely';
import { BatchScope, bindBatchScope } from './batch-scope.js';
import type { Database } from './schema.js';

type Work<T> = (trx: Transaction<Database>) => Promise<T>;

interface Pending {
  work: Work<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export interface WriteQueue {
  /**
   * Runs `work` inside a transaction shared with the other writes queued meanwhile, each under
   * its own savepoint (one failing unit rolls back alone). Resolves only after the shared
   * transaction commits, so an answer is never sent for a write that is not durable.
   */
  run<T>(work: Work<T>): Promise<T>;
  /** Resolves when nothing is queued or running. */
  drain(): Promise<void>;
}

/** The most units one commit carries: bounds latency and lock time under load. */
const MAX_BATCH = 256;

/** Group commit: one transaction, one fsync, for every write that arrived while the last one ran. */
export function createWriteQueue(db: Kysely<Database>, opts: { maxWaitMs: number }): WriteQueue {
  const queue: Pending[] = [];
  let running = false;
  let idle: Promise<void> = Promise.resolve();
  let markIdle: () => void = () => {};

  async function flush(): Promise<void> {
    while (queue.length > 0) {
      if (opts.maxWaitMs > 0 && queue.length < MAX_BATCH) {
        await new Promise((r) => setTimeout(r, opts.maxWaitMs));
      }
      const batch = queue.splice(0, MAX_BATCH);
      const outcomes: Array<{ ok: boolean; value: unknown }> = [];
      try {
        await db.transaction().execute(async (trx) => {
          const scope = new BatchScope();
          bindBatchScope(trx, scope);
          for (const unit of batch) {
            await sql`savepoint gc_unit`.execute(trx);
            const mark = scope.mark();
            try {
              const value = await unit.work(trx);
              await sql`release savepoint gc_unit`.execute(trx);
              outcomes.push({ ok: true, value });
            } catch (err) {
              scope.rollbackTo(mark);
              await sql`rollback to savepoint gc_unit`.execute(trx);
              await sql`release savepoint gc_unit`.execute(trx);
              outcomes.push({ ok: false, value: err });
            }
          }
          // Deferred writes (audit events) go in last, inside the same transaction: if they
          // fail, the whole batch rolls back and every unit is refused (fail closed).
          await scope.flush(trx);
        });
      } catch (err) {
        // The commit itself failed: nothing in the batch happened.
        for (const unit of batch) unit.reject(err);
        continue;
      }
      batch.forEach((unit, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) unit.resolve(outcome.value);
        else unit.reject(outcome.value);
      });
    }
  }

  function kick(): void {
    if (running) return;
    running = true;
    idle = new Promise((r) => {
      markIdle = r;
    });
    void flush().finally(() => {
      running = false;
      markIdle();
      if (queue.length > 0) kick();
    });
  }

  return {
    run<T>(work: Work<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
        kick();
      });
    },
    drain: () => idle,
  };
}
