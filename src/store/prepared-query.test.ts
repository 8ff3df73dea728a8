import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../test/support/databases.js';
import { batchScopeOf } from './batch-scope.js';
import { openStore, type Store } from './open-store.js';
import { prepareQuery } from './prepared-query.js';
import { usersRepo } from './repos/users.js';

const person = (id: string, username: string) => ({
  id,
  username,
  username_lower: username.toLowerCase(),
  email: null,
  display_name: null,
  status: 'active' as const,
  external_id: null,
  password_hash: null,
  locked_until: null,
  created_at: 1,
  updated_at: 1,
});

const byStatus = prepareQuery((db, status: string, minCreated: number) =>
  db
    .selectFrom('users')
    .select(['id', 'username'])
    .where('status', '=', status as 'active')
    .where('created_at', '>=', minCreated)
    .where('deleted_at', 'is', null)
    .orderBy('username'),
);
const touch = prepareQuery((db, id: string, now: number) =>
  db.updateTable('users').set({ updated_at: now }).where('id', '=', id),
);

/** Prepared queries and the store's fast paths: same answers as Kysely, same transactions. */
describe.each(DIALECTS)('prepared queries on %s', (dialect) => {
  let tdb: TestDatabase;
  let store: Store;

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    store = openStore(tdb.url);
    await store.migrate();
    for (const [id, name] of [
      ['p1', 'Carol'],
      ['p2', 'alice'],
      ['p3', 'Bob'],
    ] as const)
      await usersRepo.insert(store.db, person(id, name));
  });
  afterAll(async () => {
    await store.close();
    await tdb.drop();
  });

  it('answers like the same Kysely query, with new arguments on each call', async () => {
    for (const db of [store.db, store.reader]) {
      const kysely = await db
        .selectFrom('users')
        .select(['id', 'username'])
        .where('status', '=', 'active')
        .where('created_at', '>=', 1)
        .where('deleted_at', 'is', null)
        .orderBy('username')
        .execute();
      expect(await byStatus.all(db, 'active', 1)).toEqual(kysely);
      expect(kysely).toHaveLength(3);
      expect(await byStatus.all(db, 'active', 2)).toEqual([]);
      expect(await byStatus.first(db, 'suspended', 0)).toBeUndefined();
    }
    expect((await usersRepo.byUsername(store.reader, 'ALICE'))?.id).toBe('p2');
  });

  it('counts the rows a write changed', async () => {
    expect(await touch.run(store.db, 'p1', 5)).toBe(1);
    expect(await touch.run(store.db, 'nobody', 5)).toBe(0);
    expect((await usersRepo.byId(store.db, 'p1'))?.updated_at).toBe(5);
  });

  it('writes inside a transaction roll back with it, and a finished transaction refuses them', async () => {
    let leaked: Parameters<Parameters<Store['transaction']>[0]>[0] | undefined;
    await expect(
      store.transaction(async (trx) => {
        leaked = trx;
        expect(await touch.run(trx, 'p2', 99)).toBe(1);
        expect((await usersRepo.byId(trx, 'p2'))?.updated_at).toBe(99);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect((await usersRepo.byId(store.db, 'p2'))?.updated_at).toBe(1);
    await expect(touch.run(leaked!, 'p2', 100)).rejects.toThrow(/rolled back/);
    expect((await usersRepo.byId(store.db, 'p2'))?.updated_at).toBe(1);
  });

  it('a failing statement rejects the promise it returned (it never throws where it is called)', async () => {
    const rename = prepareQuery((db, id: string, lower: string) =>
      db.updateTable('users').set({ username_lower: lower }).where('id', '=', id),
    );
    await expect(
      store.transaction(async (trx) => {
        let call: Promise<number> | undefined;
        expect(() => {
          call = rename.run(trx, 'p1', 'alice');
        }).not.toThrow();
        await expect(call).rejects.toThrow(/unique|duplicate/i);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect((await usersRepo.byId(store.db, 'p1'))?.username_lower).toBe('carol');
  });

  it('group commit: writes queued in one event-loop turn share one batch', async () => {
    const scopes = await Promise.all(
      [0, 1, 2].map(
        (i) =>
          new Promise<unknown>((resolve, reject) =>
            // Separate callbacks, as requests read from separate sockets are.
            setImmediate(() =>
              store
                .groupCommit(async (trx) => {
                  await touch.run(trx, 'p3', 10 + i);
                  return batchScopeOf(trx);
                })
                .then(resolve, reject),
            ),
          ),
      ),
    );
    expect(scopes[0]).toBeDefined();
    expect(new Set(scopes).size).toBe(1);
    expect((await usersRepo.byId(store.db, 'p3'))?.updated_at).toBe(12);
  });
});

describe('the SQLite reader', () => {
  let tdb: TestDatabase;
  let store: Store;
  beforeAll(async () => {
    tdb = await createTestDatabase('sqlite');
    store = openStore(tdb.url);
    await store.migrate();
    for (const id of ['r1', 'r2']) await usersRepo.insert(store.db, person(id, id));
  });
  afterAll(async () => {
    await store.close();
    await tdb.drop();
  });

  it('refuses transactions (they need the writer) and streams without holding a statement open', async () => {
    await expect(store.reader.transaction().execute(async () => 1)).rejects.toThrow(/no transactions/);
    const streamed: string[] = [];
    for await (const row of store.reader.selectFrom('users').select('id').orderBy('id').stream()) {
      streamed.push(row.id);
      expect((await usersRepo.byId(store.reader, row.id))?.id).toBe(row.id);
    }
    expect(streamed).toEqual(['r1', 'r2']);
  });
});
