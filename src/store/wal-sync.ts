import { open } from 'node:fs/promises';

/** Makes SQLite commits durable off the event loop. */
export interface WalSync {
  /**
   * Resolves once every WAL frame written before this call is on disk: after an fdatasync of the
   * WAL that started after the call. Calls made while one sync runs share the next one.
   */
  durable(): Promise<void>;
  /** Syncs started so far (for tests and the bench probe). */
  readonly syncs: number;
}

/**
 * SQLite with `synchronous = FULL` fsyncs the WAL inside COMMIT, on the calling thread: with
 * better-sqlite3 that is the event loop, blocked for the whole disk flush (milliseconds) while
 * requests wait unread. Here the writer runs `synchronous = NORMAL` (WAL frames written, not
 * flushed, at commit; the database stays consistent after any crash) and the store awaits this
 * fdatasync of the WAL, on libuv's thread pool, before it answers for a commit. An acknowledged
 * write is on disk exactly as with FULL; the loop serves other requests meanwhile.
 *
 * The file is opened for each sync (three pool steps, microseconds against the flush itself), so
 * a WAL that SQLite deleted and created anew is never synced through a stale descriptor.
 */
export function walSync(walPath: string): WalSync {
  let running: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  let syncs = 0;

  async function syncOnce(): Promise<void> {
    syncs++;
    const file = await open(walPath, 'r');
    try {
      await file.datasync();
    } finally {
      await file.close();
    }
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
  };
}
