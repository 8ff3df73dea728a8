import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompiledQuery, sql } from 'kysely';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { signal } from '../../test/support/signal.js';
import { openStore } from './open-store.js';
import { walSync } from './wal-sync.js';
import { createWriteQueue } from './write-queue.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-wal-sync-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('WAL sync off the event loop', () => {
  it('calls made while a sync runs share one later sync; a call after it starts a new one', async () => {
    const file = join(dir, 'plain-wal');
    writeFileSync(file, 'frames');
    const sync = walSync(file);
    const first = sync.durable();
    // These arrive while the first runs: its flush may have begun before their writes.
    const waiting = Array.from({ length: 50 }, () => sync.durable());
    expect(sync.syncs).toBe(1);
    await first;
    await Promise.all(waiting);
    expect(sync.syncs).toBe(2);
    await sync.durable();
    expect(sync.syncs).toBe(3);
  });

  it('a missing WAL file is an error the caller sees (never a silent success)', async () => {
    await expect(walSync(join(dir, 'nothing-here-wal')).durable()).rejects.toThrow(/ENOENT/);
  });

  it('a group commit answers only after the flush it awaits; a failed flush refuses the batch', async () => {
    const store = openStore(`sqlite:${join(dir, 'queue.db')}`);
    try {
      await sql`create table wq (id text primary key)`.execute(store.db);
      let flushes = 0;
      const flushed = signal();
      const queue = createWriteQueue(store.db, {
        maxWaitMs: 0,
        afterCommit: () => {
          flushes++;
          return flushed.promise;
        },
      });
      let answered = false;
      const unit = queue
        .run((trx) => sql`insert into wq values ('a')`.execute(trx))
        .then(() => {
          answered = true;
        });
      await vi.waitFor(() => expect(flushes).toBe(1), { timeout: 10_000 });
      // Committed (visible to a reader) but not yet on disk: not answered.
      expect((await sql`select id from wq`.execute(store.reader)).rows).toEqual([{ id: 'a' }]);
      await new Promise((r) => setTimeout(r, 20));
      expect(answered).toBe(false);
      flushed.send();
      await unit;
      expect(answered).toBe(true);

      const failing = createWriteQueue(store.db, {
        maxWaitMs: 0,
        afterCommit: () => Promise.reject(new Error('EIO: the disk failed')),
      });
      await expect(failing.run((trx) => sql`insert into wq values ('b')`.execute(trx))).rejects.toThrow(
        /EIO/,
      );
    } finally {
      await store.close();
    }
  });

  it("a SQLite file store commits NORMAL (the flush is the store's own) and its writes are all there", async () => {
    const store = openStore(`sqlite:${join(dir, 'store.db')}`);
    try {
      expect(await store.selectArrays(CompiledQuery.raw('pragma synchronous'))).toEqual([[1]]);
      await sql`create table t (id integer primary key)`.execute(store.db);
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.groupCommit((trx) => sql`insert into t values (${i})`.execute(trx)),
        ),
      );
      await store.transaction((trx) => sql`insert into t values (100)`.execute(trx));
      expect((await sql<{ n: number }>`select count(*) as n from t`.execute(store.reader)).rows[0]?.n).toBe(
        21,
      );
    } finally {
      await store.close();
    }
  });
});
