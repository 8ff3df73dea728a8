import type { Transaction } from 'kysely';
import type { Database } from './schema.js';

type Flusher<T> = (trx: Transaction<Database>, items: T[]) => Promise<void>;

/**
 * Work that units of one group commit hand over to be written once, just before the shared
 * transaction commits (e.g. audit events: one head read, one multi-row insert, one head write
 * for the whole batch instead of per unit). Items of a unit that rolls back to its savepoint
 * are discarded with it, so nothing of a failed unit is written.
 */
export class BatchScope {
  private readonly flushers: Array<{ flush: Flusher<unknown>; items: unknown[] }> = [];
  private log: Array<{ entry: { items: unknown[] }; length: number }> = [];

  /** Adds `item` to be flushed with `flush` (one call per distinct flusher, items in order). */
  defer<T>(flush: Flusher<T>, item: T): void {
    let entry = this.flushers.find((f) => f.flush === flush);
    if (!entry) {
      entry = { flush: flush as Flusher<unknown>, items: [] };
      this.flushers.push(entry);
    }
    this.log.push({ entry, length: entry.items.length });
    entry.items.push(item);
  }

  /** A point to roll back to (taken when a unit starts). */
  mark(): number {
    return this.log.length;
  }

  /** Drops every item deferred since `mark`. */
  rollbackTo(mark: number): void {
    for (let i = this.log.length - 1; i >= mark; i--) {
      const { entry, length } = this.log[i]!;
      entry.items.length = length;
    }
    this.log = this.log.slice(0, mark);
  }

  /** Writes everything deferred, in the order the flushers were first used. */
  async flush(trx: Transaction<Database>): Promise<void> {
    for (const { flush, items } of this.flushers) if (items.length > 0) await flush(trx, items);
  }
}

const scopes = new WeakMap<object, BatchScope>();

/** The scope of a store transaction (single or group commit), or undefined for any other handle. */
export function batchScopeOf(trx: object): BatchScope | undefined {
  return scopes.get(trx);
}

/** Binds a scope to a transaction (the store's transaction runners only). */
export function bindBatchScope(trx: object, scope: BatchScope): void {
  scopes.set(trx, scope);
}

/**
 * Runs `work` in `trx` with a scope of its own, then writes what it deferred, last, before the
 * commit. Every transaction thus takes the audit head's row lock as its final step: one lock
 * order everywhere (no deadlock between a transaction holding a person's row and waiting for the
 * head and one holding the head and waiting for the person), and the head is held only briefly.
 */
export async function withDeferredWrites<T>(
  trx: Transaction<Database>,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  const scope = new BatchScope();
  bindBatchScope(trx, scope);
  const value = await work(trx);
  await scope.flush(trx);
  return value;
}
