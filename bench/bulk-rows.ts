import type { Db, Store } from '../src/store/open-store.js';

/**
 * Inserts `total` rows made by `make`, `batch` rows to a statement and a transaction each: keeps
 * SQLite's WAL (checkpointed between) and PostgreSQL's small. The benchmarks only: never the
 * services' way.
 */
export async function insertBatches<T>(
  store: Store,
  total: number,
  batch: number,
  make: (i: number) => T,
  insert: (db: Db, rows: T[]) => Promise<unknown>,
): Promise<void> {
  for (let from = 0; from < total; from += batch) {
    const rows = Array.from({ length: Math.min(batch, total - from) }, (_, k) => make(from + k));
    await store.transaction((trx) => insert(trx, rows));
  }
}
