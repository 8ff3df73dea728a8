import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../test/support/databases.js';
import { openStore, type Store } from './open-store.js';
import { usersRepo } from './repos/users.js';

/** The store suite: runs unchanged on SQLite and PostgreSQL. */
describe.each(DIALECTS)('store on %s', (dialect) => {
  let tdb: TestDatabase;
  let store: Store;

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    store = openStore(tdb.url);
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    await tdb.drop();
  });

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

  it('migrates idempotently', async () => {
    expect(await store.migrate()).toEqual([]);
  });

  it('finds people by username case-insensitively and refuses a case-variant duplicate', async () => {
    await usersRepo.insert(store.db, person('u1', 'Alice'));
    expect((await usersRepo.byUsername(store.db, 'ALICE'))?.id).toBe('u1');
    await expect(usersRepo.insert(store.db, person('u2', 'alice'))).rejects.toThrow();
  });

  it('returns bigint columns as numbers', async () => {
    await usersRepo.update(store.db, 'u1', { locked_until: 2 ** 45 });
    expect((await usersRepo.byId(store.db, 'u1'))?.locked_until).toBe(2 ** 45);
    await usersRepo.update(store.db, 'u1', { locked_until: null });
  });

  it('rolls a transaction back whole when it throws', async () => {
    await expect(
      store.transaction(async (trx) => {
        await usersRepo.insert(trx, person('u3', 'bob'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await usersRepo.byId(store.db, 'u3')).toBeUndefined();
  });

  it('counts concurrent failures exactly (atomic increment)', async () => {
    await Promise.all(
      Array.from({ length: 40 }, () => store.transaction((trx) => usersRepo.recordFailure(trx, 'u1'))),
    );
    expect((await usersRepo.byId(store.db, 'u1'))?.failed_attempts).toBe(40);
    await usersRepo.resetFailures(store.db, 'u1');
    expect((await usersRepo.byId(store.db, 'u1'))?.failed_attempts).toBe(0);
  });

  it('group commit: each unit sees earlier units, a failing unit rolls back alone', async () => {
    const results = await Promise.allSettled([
      store.groupCommit((trx) => usersRepo.insert(trx, person('g1', 'g-one'))),
      store.groupCommit(async (trx) => {
        await usersRepo.insert(trx, person('g2', 'g-two'));
        throw new Error('unit fails');
      }),
      store.groupCommit(async (trx) => (await usersRepo.byId(trx, 'g1'))?.username),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseFulfilledResult<string>).value).toBe('g-one');
    expect(await usersRepo.byId(store.db, 'g2')).toBeUndefined();
    expect((await usersRepo.byId(store.db, 'g1'))?.id).toBe('g1');
  });

  it('group commit: the last unit of a batch failing, on a database error too, rolls back alone', async () => {
    const results = await Promise.allSettled([
      store.groupCommit((trx) => usersRepo.insert(trx, person('h1', 'h-one'))),
      // A duplicate username: PostgreSQL aborts the statement, the unit goes back to its savepoint.
      store.groupCommit(async (trx) => {
        await usersRepo.insert(trx, person('h2', 'h-two'));
        await usersRepo.insert(trx, person('h3', 'h-one'));
      }),
      store.groupCommit((trx) => usersRepo.insert(trx, person('h4', 'h-four'))),
      store.groupCommit(async (trx) => {
        await usersRepo.insert(trx, person('h5', 'h-five'));
        throw new Error('the last unit fails');
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    for (const gone of ['h2', 'h3', 'h5']) expect(await usersRepo.byId(store.db, gone)).toBeUndefined();
    for (const kept of ['h1', 'h4']) expect((await usersRepo.byId(store.db, kept))?.id).toBe(kept);
  });
});
