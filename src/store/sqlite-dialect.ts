import type BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  SqliteDialect,
  type SqliteDatabase,
} from 'kysely';

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

/** The most prepared statements kept per connection (the app issues a bounded set of shapes). */
const STATEMENT_CACHE_SIZE = 1_000;

/**
 * better-sqlite3 with prepared statements reused by SQL text. Kysely prepares every query anew,
 * which profiles showed as the largest single cost on the hot paths.
 */
export function withStatementCache(sqlite: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = sqlite.prepare(sql);
        if (cache.size < STATEMENT_CACHE_SIZE) cache.set(sql, stmt);
      }
      return stmt as unknown as ReturnType<SqliteDatabase['prepare']>;
    },
  };
}
