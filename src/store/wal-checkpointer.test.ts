import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { openStore, type Store } from './open-store.js';
import { usersRepo } from './repos/users.js';

const person = (i: number) => ({
  id: `ck${i}`,
  username: `ck${i}`,
  username_lower: `ck${i}`,
  email: null,
  // Big rows: a few hundred fill far fewer pages than SQLite's own checkpoint threshold (1,000).
  display_name: 'x'.repeat(2_000),
  status: 'active' as const,
  external_id: null,
  password_hash: null,
  locked_until: null,
  created_at: 1,
  updated_at: 1,
});

/** A busy SQLite store checkpoints on a thread of its own, and nothing committed is lost. */
describe('background WAL checkpoints', () => {
  let tdb: TestDatabase;
  let store: Store;
  let file: string;

  beforeAll(async () => {
    tdb = await createTestDatabase('sqlite');
    file = tdb.url.slice('sqlite:'.length);
    store = openStore(tdb.url);
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    await tdb.drop();
  });

  it('copies committed pages into the database file well before the WAL reaches 1,000 pages', async () => {
    const before = statSync(file).size;
    // Enough group commits to count as busy (the thread starts), then ~150 pages of rows.
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        Array.from({ length: 100 }, (_, k) =>
          store.groupCommit((trx) => usersRepo.insert(trx, person(round * 100 + k))),
        ),
      );
    }
    const walPages = statSync(`${file}-wal`).size / 4096;
    expect(walPages).toBeLessThan(1_000);
    // Only a checkpoint writes the database file in WAL mode; the writer's own are off now.
    const deadline = Date.now() + 5_000;
    while (statSync(file).size < before + 200 * 2_000 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(statSync(file).size).toBeGreaterThanOrEqual(before + 200 * 2_000);
  });

  it('keeps every commit across close and reopen', async () => {
    await store.close();
    store = openStore(tdb.url);
    expect(await usersRepo.count(store.db)).toBe(300);
    expect((await usersRepo.byId(store.reader, 'ck299'))?.display_name).toHaveLength(2_000);
  });
});
