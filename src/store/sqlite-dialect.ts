import type BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  SqliteDialect,
  type SqliteDatabase,
} from 'kysely';
import type { DirectConnection } from './prepared-query.js';

/**
 * SQLite with `BEGIN IMMEDIATE`: a write transaction takes the write lock when it starts, so a
 * second process (the CLI beside a running server) waits on busy_timeout instead of failing
 * with SQLITE_BUSY when a deferred transaction tries to upgrade.
 */
export class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection: DatabaseConnection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}

/**
 * The read-only SQLite connection, for reads outside transactions. better-sqlite3 runs each
 * statement to its end synchronously, so queries need no turn-taking: no connection mutex (the
 * stock driver's lock and unlock showed in profiles of the hot paths). It runs no transaction
 * (those need the writer, `store.db`), and a stream reads its rows first, so no statement stays
 * open while another runs.
 */
export class ReaderSqliteDialect extends SqliteDialect {
  readonly #database: SqliteDatabase;
  constructor(database: SqliteDatabase) {
    super({ database });
    this.#database = database;
  }
  override createDriver(): Driver {
    return new ReaderDriver(this.#database);
  }
}

class ReaderDriver implements Driver {
  readonly #database: SqliteDatabase;
  readonly #connection: DatabaseConnection;
  constructor(database: SqliteDatabase) {
    this.#database = database;
    this.#connection = {
      async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
        const stmt = database.prepare(query.sql);
        if (stmt.reader) return { rows: stmt.all(query.parameters) as R[] };
        const { changes } = stmt.run(query.parameters);
        return { numAffectedRows: BigInt(changes), rows: [] };
      },
      async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
        for (const row of database.prepare(query.sql).all(query.parameters) as R[]) yield { rows: [row] };
      },
    };
  }
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return this.#connection;
  }
  async releaseConnection(): Promise<void> {}
  async beginTransaction(): Promise<void> {
    throw new Error('the SQLite reader runs no transactions: use store.db');
  }
  async commitTransaction(): Promise<void> {}
  async rollbackTransaction(): Promise<void> {}
  async destroy(): Promise<void> {
    this.#database.close();
  }
}

/** The most prepared statements kept per connection (the app issues a bounded set of shapes). */
const STATEMENT_CACHE_SIZE = 1_000;

/** A better-sqlite3 connection whose prepared statements are reused by SQL text. */
export interface CachedSqlite {
  /** For Kysely's SqliteDialect. */
  database: SqliteDatabase;
  /** For prepared queries that bypass Kysely's executor (see prepared-query.ts). */
  direct: DirectConnection;
}

/**
 * better-sqlite3 with prepared statements reused by SQL text. Kysely prepares every query anew,
 * which profiles showed as the largest single cost on the hot paths.
 */
export function withStatementCache(sqlite: BetterSqlite3.Database): CachedSqlite {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = (sql: string): BetterSqlite3.Statement => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = sqlite.prepare(sql);
      if (cache.size < STATEMENT_CACHE_SIZE) cache.set(sql, stmt);
    }
    return stmt;
  };
  return {
    database: {
      close: () => sqlite.close(),
      prepare: (sql: string) => prepare(sql) as unknown as ReturnType<SqliteDatabase['prepare']>,
    },
    direct: {
      run(sql, parameters) {
        const stmt = prepare(sql);
        if (stmt.reader) return { rows: stmt.all(parameters), changes: 0 };
        return { rows: [], changes: stmt.run(parameters).changes };
      },
    },
  };
}
