import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the background thread checkpoints (ms): often enough to keep the WAL short. */
const INTERVAL_MS = 100;

/**
 * The thread's code (CommonJS, evaluated: no file to find in either src/ or dist/). Its own
 * connection copies committed WAL frames into the database file. PASSIVE never waits for or
 * blocks the writer or the readers; its fsyncs follow its own `synchronous`, FULL like the
 * writer's. Commits stay as durable as before: each one is in the fsynced WAL before it is
 * acknowledged, whoever checkpoints later.
 */
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path);
db.pragma('synchronous = FULL');
parentPort.postMessage('ready');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or failing: the next round tries again, and the writer takes over if this thread dies.
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/** A running background checkpointer. */
export interface WalCheckpointer {
  /** Stops the thread and closes its connection; resolves when it has exited. */
  stop(): Promise<void>;
}

/**
 * Moves WAL checkpoints of the SQLite database at `path` off the event loop. By default
 * SQLite checkpoints inside the commit that crosses 1,000 WAL pages, on the writer's thread:
 * a synchronous copy and fsync of the database file that stalls every request. `onStarted`
 * runs once the thread's connection is open (turn the writer's own checkpoints off then),
 * `onStopped` when the thread ends for any reason (turn them back on).
 */
export function startWalCheckpointer(
  path: string,
  hooks: { onStarted: () => void; onStopped: () => void },
): WalCheckpointer {
  const module = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(SOURCE, { eval: true, workerData: { module, path, intervalMs: INTERVAL_MS } });
  // It must never keep a process alive that is otherwise done.
  worker.unref();
  worker.once('message', hooks.onStarted);
  // A failure to start (or a crash) only means the writer checkpoints again, as before.
  worker.on('error', () => {});
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      hooks.onStopped();
      resolve();
    }),
  );
  return {
    async stop() {
      worker.postMessage('stop');
      await exited;
    },
  };
}
