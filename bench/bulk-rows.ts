import type { Db, Store } from '../src/store/open-store.js';
import type { NewUserRow } from '../src/store/schema.js';

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

/**
 * A bare user row: active, no password, no lock, every optional attribute empty unless given.
 * `username_lower` follows `username`, `updated_at` follows `created_at`.
 */
export function bareUserRow(
  row: Pick<NewUserRow, 'id' | 'username' | 'created_at'> & Partial<NewUserRow>,
): NewUserRow {
  return {
    username_lower: row.username.toLowerCase(),
    email: null,
    display_name: null,
    status: 'active',
    external_id: null,
    password_hash: null,
    locked_until: null,
    updated_at: row.created_at,
    given_name: null,
    family_name: null,
    title: null,
    employee_number: null,
    department: null,
    manager_id: null,
    deleted_at: null,
    ...row,
  };
}
