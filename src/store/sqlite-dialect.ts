import { CompiledQuery, type DatabaseConnection, type Driver, SqliteDialect } from 'kysely';

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
