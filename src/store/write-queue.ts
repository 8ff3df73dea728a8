import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import { BatchScope, bindBatchScope, withDeferredWrites } from './batch-scope.js';
import { type DirectConnection, withDirect } from './prepared-query.js';
import { retryable, withConflictRetry } from './retry.js';
import type { Database } from './schema.js';

type Work<T> = (trx: Transaction<Database>) => Promise<T>;

interface Pending {
  work: Work<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export interface WriteQueue {
  /**
   * Runs `work` inside a transaction shared with the other writes queued in the same event-loop
   * turn or while the previous batch ran, each under its own savepoint (one failing unit rolls
   * back alone). Resolves only after the shared transaction commits, so an answer is never sent
   * for a write that is not durable.
   */
  run<T>(work: Work<T>): Promise<T>;
  /** Resolves when nothing is queued or running. */
  drain(): Promise<void>;
}

/** The most units one commit carries: bounds latency and lock time under load. */
const MAX_BATCH = 256;

/**
 * The savepoint statements, compiled once. Between two units one step ends the last unit's
 * savepoint and opens the next one's: on PostgreSQL one round trip (a query without parameters
 * goes as a simple query, which may hold several statements), on SQLite two direct statements.
 * The last savepoint is never released: the commit ends it with the transaction.
 */
const SAVEPOINT = [CompiledQuery.raw('savepoint gc_unit')];
const NEXT_UNIT = [CompiledQuery.raw('release savepoint gc_unit'), ...SAVEPOINT];
const ROLLBACK_TO = [CompiledQuery.raw('rollback to savepoint gc_unit')];
const NEXT_UNIT_AT_ONCE = CompiledQuery.raw(NEXT_UNIT.map((q) => q.sql).join('; '));

/**
 * Group commit: one transaction, one fsync, for every write that arrived while the last one ran.
 * With `direct` (SQLite) the batch's transaction is bound to it, so prepared queries and the
 * savepoints skip Kysely's executor.
 */
export function createWriteQueue(
  db: Kysely<Database>,
  opts: {
    maxWaitMs: number;
    direct?: DirectConnection;
    /** Awaited after each commit, before any unit is answered (SQLite: the WAL's fdatasync). */
    afterCommit?: () => Promise<void>;
  },
): WriteQueue {
  const { direct } = opts;
  const exec = async (trx: Transaction<Database>, qs: CompiledQuery[]): Promise<void> => {
    if (direct) for (const q of qs) direct.run(q.sql, q.parameters);
    else await trx.executeQuery(qs === NEXT_UNIT ? NEXT_UNIT_AT_ONCE : qs[0]!);
  };
  const queue: Pending[] = [];
  let running = false;
  let idle: Promise<void> = Promise.resolve();
  let markIdle: () => void = () => {};

  /**
   * A unit whose batch lost a deadlock (or serialization) race on PostgreSQL runs again alone, in
   * its own transaction: a batch holds many units' row locks, so one unlucky lock order must not
   * fail every request in it. Nothing of the failed attempt was committed.
   */
  async function runAlone(unit: Pending): Promise<void> {
    try {
      const value = await withConflictRetry(() =>
        db.transaction().execute((t) => withDirect(t, direct, (trx) => withDeferredWrites(trx, unit.work))),
      );
      await opts.afterCommit?.();
      unit.resolve(value);
    } catch (err) {
      unit.reject(err);
    }
  }

  async function flush(): Promise<void> {
    while (queue.length > 0) {
      if (queue.length < MAX_BATCH) {
        // Wait at least for the rest of this event-loop turn: every request whose data arrived
        // with this one reaches its write before the batch starts. Without this, each request
        // read in its own I/O callback would run (and fsync) alone, as SQLite never yields.
        if (opts.maxWaitMs > 0) await new Promise((r) => setTimeout(r, opts.maxWaitMs));
        else await new Promise((r) => setImmediate(r));
      }
      const batch = queue.splice(0, MAX_BATCH);
      const outcomes: Array<{ ok: boolean; value: unknown }> = [];
      try {
        await db.transaction().execute((t) =>
          withDirect(t, direct, async (trx) => {
            const scope = new BatchScope();
            bindBatchScope(trx, scope);
            for (const [i, unit] of batch.entries()) {
              await exec(trx, i === 0 ? SAVEPOINT : NEXT_UNIT);
              const mark = scope.mark();
              try {
                const value = await unit.work(trx);
                outcomes.push({ ok: true, value });
              } catch (err) {
                // Back to where the unit started; the savepoint stays, ended by the next step.
                scope.rollbackTo(mark);
                await exec(trx, ROLLBACK_TO);
                outcomes.push({ ok: false, value: err });
              }
            }
            // Deferred writes (audit events) go in last, inside the same transaction: if they
            // fail, the whole batch rolls back and every unit is refused (fail closed).
            await scope.flush(trx);
          }),
        );
        await opts.afterCommit?.();
      } catch (err) {
        // The commit itself failed (nothing in the batch happened), or its flush to disk did
        // (not acknowledged: fail closed).
        if (retryable(err)) for (const unit of batch) await runAlone(unit);
        else for (const unit of batch) unit.reject(err);
        continue;
      }
      for (const [i, unit] of batch.entries()) {
        const outcome = outcomes[i]!;
        if (outcome.ok) unit.resolve(outcome.value);
        else if (retryable(outcome.value)) await runAlone(unit);
        else unit.reject(outcome.value);
      }
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
