import { close, fdatasync, open } from 'node:fs';

/** Makes SQLite commits durable off the event loop. */
export interface WalSync {
  /**
   * Resolves once every WAL frame written before this call is on disk: after an fdatasync of the
   * WAL that started after the call. Calls made while one sync runs share the next one.
   */
  durable(): Promise<void>;
  /** Syncs started so far (for tests and the bench probe). */
  readonly syncs: number;
  /** Closes the descriptor (the store closes its connections after this). */
  close(): Promise<void>;
}

/**
 * SQLite with `synchronous = FULL` fsyncs the WAL inside COMMIT, on the calling thread: with
 * better-sqlite3 that is the event loop, blocked for the whole disk flush (milliseconds) while
 * requests wait unread. Here the writer runs `synchronous = NORMAL` (WAL frames written, not
 * flushed, at commit; the database stays consistent after any crash) and the store awaits this
 * fdatasync of the WAL, on libuv's thread pool, before it answers for a commit. An acknowledged
 * write is on disk exactly as with FULL; the loop serves other requests meanwhile.
 *
 * One descriptor, opened at the first sync, serves the store's life: SQLite deletes a WAL only
 * when its last connection closes (or the journal mode changes, which nothing here does), and
 * the store's writer stays open until after `close()`.
 */
export function walSync(walPath: string): WalSync {
  let running: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  let fd: Promise<number> | null = null;
  let syncs = 0;

  const descriptor = (): Promise<number> => {
    fd ??= new Promise<number>((resolve, reject) =>
      open(walPath, 'r', (err, n) => (err ? reject(err) : resolve(n))),
    ).catch((err: unknown) => {
      fd = null;
      throw err;
    });
    return fd;
  };

  async function syncOnce(): Promise<void> {
    syncs++;
    const n = await descriptor();
    await new Promise<void>((resolve, reject) => fdatasync(n, (err) => (err ? reject(err) : resolve())));
  }

  function start(): Promise<void> {
    const p = syncOnce().finally(() => {
      if (running === p) running = null;
    });
    running = p;
    return p;
  }

  return {
    durable() {
      if (!running) return start();
      // The running sync may have started before this call's frames were written: wait for the next.
      next ??= running
        .catch(() => undefined)
        .then(() => {
          next = null;
          // Any sync running now started after this call: join it.
          return running ?? start();
        });
      return next;
    },
    get syncs() {
      return syncs;
    },
    async close() {
      await running?.catch(() => undefined);
      await next?.catch(() => undefined);
      const open = fd;
      fd = null;
      if (!open) return;
      const n = await open.catch(() => null);
      if (n !== null) await new Promise<void>((resolve) => close(n, () => resolve()));
    },
  };
}
