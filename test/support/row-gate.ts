import pg from 'pg';

/** The advisory lock key the gate's trigger waits on (advisory locks are per database). */
const KEY = 4242;

/**
 * A gate in a PostgreSQL test database: a trigger holds any transaction that has just updated
 * one chosen row (so it holds that row's lock) until the test opens the gate. With it a test
 * builds a lock cycle in a fixed order: hold one side, queue the other, then open. Nothing then
 * depends on timing, however loaded the machine.
 */
export class RowGate {
  private constructor(private readonly client: pg.Client) {}

  /** Installs the trigger on `table` for the row whose `id` is `id` (updates of `column` only); starts shut. */
  static async install(url: string, table: string, id: string, column: string): Promise<RowGate> {
    const client = new pg.Client(url);
    await client.connect();
    const gate = new RowGate(client);
    try {
      await client.query(`
        CREATE FUNCTION pass_row_gate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_advisory_lock_shared(${KEY});
          PERFORM pg_advisory_unlock_shared(${KEY});
          RETURN NULL;
        END $$`);
      await client.query(`
        CREATE TRIGGER row_gate AFTER UPDATE OF ${client.escapeIdentifier(column)}
          ON ${client.escapeIdentifier(table)} FOR EACH ROW
          WHEN (OLD.id = ${client.escapeLiteral(id)}) EXECUTE FUNCTION pass_row_gate()`);
      await gate.shut();
      return gate;
    } catch (err) {
      await gate.end();
      throw err;
    }
  }

  /** Holds every transaction that updates the row from now on (waits while one is passing). */
  async shut(): Promise<void> {
    await this.client.query(`SELECT pg_advisory_lock(${KEY})`);
  }

  /** Lets the held transaction, and any later one, go on. */
  async open(): Promise<void> {
    await this.client.query(`SELECT pg_advisory_unlock(${KEY})`);
  }

  /** Resolves once a transaction is held at the gate. */
  async held(what: string): Promise<void> {
    await this.waitFor(what, `locktype = 'advisory' AND objid = ${KEY}`);
  }

  /** Resolves once session `pid` (`SELECT pg_backend_pid()`) waits for a lock. */
  async waiting(pid: number, what: string): Promise<void> {
    await this.waitFor(what, `pid = ${Number(pid)}`);
  }

  async end(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }

  /** Polls pg_locks of this database for a lock waited for; says what every session did if none comes. */
  private async waitFor(what: string, lockFilter: string): Promise<void> {
    const thisDb = 'database = (SELECT oid FROM pg_database WHERE datname = current_database())';
    for (let i = 0; i < 2_000; i++) {
      const r = await this.client.query(
        `SELECT 1 FROM pg_locks WHERE NOT granted AND (${lockFilter}) AND (${thisDb} OR database IS NULL)`,
      );
      if (r.rowCount) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const sessions = await this.client.query(
      `SELECT a.pid, a.state, a.wait_event_type, a.wait_event, l.locktype, l.objid, l.transactionid::text AS xid,
              l.granted, left(a.query, 60) AS query
         FROM pg_stat_activity a
         LEFT JOIN pg_locks l ON l.pid = a.pid AND l.locktype IN ('transactionid', 'tuple', 'advisory')
        WHERE a.datname = current_database()`,
    );
    throw new Error(`not seen waiting: ${what}: ${JSON.stringify(sessions.rows)}`);
  }
}
