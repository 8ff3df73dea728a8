import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { RowGate } from '../../test/support/row-gate.js';
import { signal } from '../../test/support/signal.js';
import { type Db, openStore, type Store } from './open-store.js';

/**
 * A group-commit batch holds many units' row locks, so on PostgreSQL one unit can lose a deadlock
 * to another transaction. That unit must run again alone and succeed, not fail its request.
 */
describe('group commit on postgres: a deadlock victim runs again alone', () => {
  let tdb: TestDatabase;
  let store: Store;

  beforeAll(async () => {
    tdb = await createTestDatabase('postgres');
    store = openStore(tdb.url);
    await sql`create table wq_rows (id text primary key, n integer not null)`.execute(store.db);
    await sql`insert into wq_rows values ('a', 0), ('b', 0)`.execute(store.db);
  });
  afterAll(async () => {
    await store.close();
    await tdb.drop();
  });

  const bump = (db: Db, id: string) => sql`update wq_rows set n = n + 1 where id = ${id}`.execute(db);

  it('the unit that lost the deadlock is retried and commits; the other transaction commits too', async () => {
    // A gate holds the unit right after it has locked b, until T is queued for b; only then does
    // the unit ask for a, which T holds. The cycle forms in that order however loaded the machine.
    const gate = await RowGate.install(tdb.url, 'wq_rows', 'b', 'n');
    try {
      let unitRuns = 0;
      const aHeld = signal();
      const bAsked = signal();
      let otherPid = 0;
      // T looks for a deadlock after 10 s, the unit (PostgreSQL's default) after 1 s: the unit,
      // which closes the cycle, is the victim.
      const other = store.transaction(async (trx) => {
        await sql`set local deadlock_timeout = '10s'`.execute(trx);
        otherPid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)).rows[0]!.pid;
        await bump(trx, 'a');
        aHeld.send();
        await bAsked.promise;
        await bump(trx, 'b');
      });
      await aHeld.promise;
      const unit = store.groupCommit(async (trx) => {
        unitRuns += 1;
        await bump(trx, 'b');
        await bump(trx, 'a');
        return 'done';
      });
      await gate.held('the unit, holding b');
      bAsked.send();
      await gate.waiting(otherPid, 'T, queued for b');
      await gate.open();
      await expect(unit).resolves.toBe('done');
      await expect(other).resolves.toBeUndefined();
      expect(unitRuns).toBe(2);
      const rows = await sql<{ id: string; n: number }>`select id, n from wq_rows order by id`.execute(
        store.db,
      );
      expect(rows.rows).toEqual([
        { id: 'a', n: 2 },
        { id: 'b', n: 2 },
      ]);
    } finally {
      await gate.end();
    }
  });
});
