import type { Compilable, CompiledQuery, Kysely, RootOperationNode } from 'kysely';
import type { Db } from './open-store.js';
import type { Database } from './schema.js';

/**
 * A connection that runs SQL synchronously and directly (better-sqlite3), without Kysely's
 * executor: on hot paths that executor (connection mutex, promise chain) costs more than SQLite.
 */
export interface DirectConnection {
  /** Runs one statement: rows when it returns any (SELECT, RETURNING), else the rows changed. */
  run(sql: string, parameters: readonly unknown[]): { rows: unknown[]; changes: number };
}

const directs = new WeakMap<object, DirectConnection>();

/**
 * Lets prepared queries on `db` run straight on `connection`. Only for a handle that owns the
 * connection for as long as it is bound: the read-only SQLite reader (no transactions, nothing
 * else on it), or an open transaction, unbound before it ends (see `withDirect`).
 */
export function bindDirect(db: object, connection: DirectConnection): void {
  directs.set(db, connection);
}

/** Undoes `bindDirect`: later queries on `db` go through Kysely again (which refuses a finished transaction). */
export function unbindDirect(db: object): void {
  directs.delete(db);
}

/** Runs `work(trx)` with `trx` bound to `connection` (when given) until `work` settles. */
export async function withDirect<T, H extends object>(
  trx: H,
  connection: DirectConnection | undefined,
  work: (trx: H) => Promise<T>,
): Promise<T> {
  if (!connection) return work(trx);
  bindDirect(trx, connection);
  try {
    return await work(trx);
  } finally {
    unbindDirect(trx);
  }
}

/** Stands for the argument at `index` while a query is compiled once. */
class Slot {
  constructor(readonly index: number) {}
}

/** Enough slots for any prepared query of ours; more are made on demand. */
const SLOTS: Slot[] = Array.from({ length: 16 }, (_, i) => new Slot(i));

function slots(count: number): Slot[] {
  for (let i = SLOTS.length; i < count; i++) SLOTS.push(new Slot(i));
  return SLOTS;
}

/** A query compiled once per dialect: its SQL, and where each argument goes among the parameters. */
interface Template {
  sql: string;
  query: RootOperationNode;
  queryId: CompiledQuery['queryId'];
  /** Per parameter: the argument index it takes, or -1 for a constant of the query. */
  argAt: number[];
  constants: readonly unknown[];
}

/** A query built once and run many times with new arguments, on either dialect. */
export interface PreparedQuery<A extends unknown[], R> {
  /** Every row it returns. */
  all(db: Db, ...args: A): Promise<R[]>;
  /** The first row it returns, if any. */
  first(db: Db, ...args: A): Promise<R | undefined>;
  /** How many rows it changed (INSERT, UPDATE or DELETE without RETURNING). */
  run(db: Db, ...args: A): Promise<number>;
}

/**
 * Prepares a query: `build` is called once per dialect with placeholders for its arguments and
 * compiled; each call then only fills in the arguments. Building and compiling a Kysely query
 * costs several times what SQLite takes to run it, so hot-path repository methods use this.
 * Arguments must be plain values in the query (compared, set, inserted), never choose its
 * shape: a list for `in`, an optional filter or a column name needs a query of its own.
 */
export function prepareQuery<A extends unknown[], R>(
  build: (db: Kysely<Database>, ...args: A) => Compilable<R>,
  arity = 16,
): PreparedQuery<A, R> {
  // Keyed by the dialect adapter: a transaction shares its database's adapter, and the SQL
  // text depends on the dialect only.
  const templates = new WeakMap<object, Template>();

  function template(db: Db): Template {
    const executor = db.getExecutor();
    let t = templates.get(executor.adapter);
    if (!t) {
      const compiled = build(db as Kysely<Database>, ...(slots(arity) as unknown as A)).compile();
      t = {
        sql: compiled.sql,
        query: compiled.query,
        queryId: compiled.queryId,
        argAt: compiled.parameters.map((p) => (p instanceof Slot ? p.index : -1)),
        constants: compiled.parameters,
      };
      templates.set(executor.adapter, t);
    }
    return t;
  }

  function bind(t: Template, args: unknown[]): unknown[] {
    const out = new Array<unknown>(t.argAt.length);
    for (let i = 0; i < out.length; i++) {
      const at = t.argAt[i]!;
      out[i] = at < 0 ? t.constants[i] : args[at];
    }
    return out;
  }

  /**
   * The result, synchronously on a direct connection (no promise of its own: the hot paths run
   * about ten of these per request), else a promise of it from Kysely's executor.
   */
  function execute(
    db: Db,
    args: unknown[],
  ): { rows: unknown[]; changes: number } | Promise<{ rows: unknown[]; changes: number }> {
    const t = template(db);
    const parameters = bind(t, args);
    const direct = directs.get(db);
    if (direct) return direct.run(t.sql, parameters);
    return db
      .executeQuery<unknown>({ sql: t.sql, query: t.query, queryId: t.queryId, parameters })
      .then((r) => ({ rows: r.rows, changes: Number(r.numAffectedRows ?? 0) }));
  }

  /** `pick` of the result as a promise; a direct connection's error rejects it too (as before). */
  function resultOf<T>(
    db: Db,
    args: unknown[],
    pick: (r: { rows: unknown[]; changes: number }) => T,
  ): Promise<T> {
    let r: ReturnType<typeof execute>;
    try {
      r = execute(db, args);
    } catch (err) {
      return Promise.reject(err);
    }
    return r instanceof Promise ? r.then(pick) : Promise.resolve(pick(r));
  }

  const rowsOf = (r: { rows: unknown[] }) => r.rows as R[];
  const firstOf = (r: { rows: unknown[] }) => r.rows[0] as R | undefined;
  const changesOf = (r: { changes: number }) => r.changes;
  return {
    all: (db, ...args) => resultOf(db, args, rowsOf),
    first: (db, ...args) => resultOf(db, args, firstOf),
    run: (db, ...args) => resultOf(db, args, changesOf),
  };
}
