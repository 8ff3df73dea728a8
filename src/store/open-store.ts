import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { type CompiledQuery, Kysely, Migrator, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { withDeferredWrites } from './batch-scope.js';
import { migrationProvider } from './migrations/index.js';
import { bindDirect, type DirectConnection, withDirect } from './prepared-query.js';
import type { Database } from './schema.js';
import { ImmediateSqliteDialect, ReaderSqliteDialect, withStatementCache } from './sqlite-dialect.js';
import { startWalCheckpointer, type WalCheckpointer } from './wal-checkpointer.js';
import { type WalSync, walSync } from './wal-sync.js';
import { createWriteQueue, type WriteQueue } from './write-queue.js';

/**
 * Group-commit units after which a SQLite store checkpoints on a background thread: a serving
 * process gets there in seconds, short-lived ones (the CLI, most tests) keep SQLite's own.
 */
const BACKGROUND_CHECKPOINT_AFTER = 200;

/** A handle that runs queries: the database itself or an open transaction. */
export type Db = Kysely<Database> | Transaction<Database>;

/** What differs between the dialects, in one place (call sites ask, never test the dialect). */
export interface Capabilities {
  dialect: 'sqlite' | 'postgres';
  /** `SELECT … FOR UPDATE [SKIP LOCKED]` exists (PostgreSQL); SQLite serialises writers instead. */
  rowLocks: boolean;
  /** `backup()` copies the live database (SQLite's online backup API); PostgreSQL uses pg_dump. */
  onlineBackup: boolean;
}

export interface Store {
  db: Kysely<Database>;
  /**
   * For reads outside any transaction on hot paths: on SQLite a second, read-only connection
   * that never waits behind an open write transaction; on PostgreSQL the same pool as `db`.
   * It sees committed data only, so a decision made on it is re-checked inside the write.
   */
  reader: Kysely<Database>;
  caps: Capabilities;
  /** Runs `work` in one transaction of its own. */
  transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  /** Runs `work` in a shared transaction with other queued writes (group commit); resolves after commit. */
  groupCommit: WriteQueue['run'];
  /**
   * Runs a read query and returns positional rows (one array per row): for bulk scans such as
   * verifying the audit chain, where building a keyed object per row costs more than the query.
   * Not inside a transaction: on SQLite it waits for the one connection, which that holds.
   */
  selectArrays(query: CompiledQuery): Promise<unknown[][]>;
  migrate(): Promise<string[]>;
  /**
   * Copies the live database into a new file at `path` while other connections and processes
   * keep writing: one backup step over a read snapshot, so the copy is consistent as of one
   * commit. Only where `caps.onlineBackup`; elsewhere it rejects.
   */
  backup(path: string): Promise<{ pages: number }>;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** Longest a write waits to join a group commit (ms). */
  groupCommitMs?: number;
  /** PostgreSQL pool size. */
  poolSize?: number;
  /**
   * SQLite only: commit without waiting for the disk (`synchronous = NORMAL`; WAL keeps the file
   * consistent, the last commits may be lost on power failure). For bulk loads that are simply
   * run again after a crash (`portcullis demo`), never for serving.
   */
  relaxedDurability?: boolean;
  /** Told about errors on idle PostgreSQL connections (logged by the runtime). */
  onPoolError?: (err: Error) => void;
}

/** Opens SQLite (`sqlite:PATH`) or PostgreSQL (`postgres://…`) behind one Kysely handle. */
export function openStore(url: string, options: OpenStoreOptions = {}): Store {
  let db: Kysely<Database>;
  let caps: Capabilities;
  let selectArrays: Store['selectArrays'];
  let reader: Kysely<Database> | undefined;
  /** The SQLite writer, for prepared queries inside transactions (see prepared-query.ts). */
  let writerDirect: DirectConnection | undefined;
  /** Starts the background checkpointer (file-based SQLite only). */
  let startCheckpointer: (() => WalCheckpointer) | undefined;
  /** SQLite file databases: the WAL flush every commit awaits before it is acknowledged. */
  let wal: WalSync | undefined;
  let backup: Store['backup'] = async () => {
    throw new Error('this database has no online backup; use its own tools (pg_dump)');
  };
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const sqlite = new SqliteDatabase(path);
    sqlite.pragma('journal_mode = WAL');
    // An acknowledged write survives power loss, not only a crash: FULL's fsync inside COMMIT
    // would block the event loop, so a file database commits NORMAL and the store awaits the
    // WAL's fdatasync on the thread pool before answering (wal-sync.ts). `relaxedDurability`
    // skips that wait; `:memory:` has no file.
    sqlite.pragma(path === ':memory:' ? 'synchronous = FULL' : 'synchronous = NORMAL');
    if (path !== ':memory:' && !options.relaxedDurability) wal = walSync(`${path}-wal`);
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 10000');
    const writer = withStatementCache(sqlite);
    writerDirect = writer.direct;
    db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: writer.database }) });
    // A second connection for reads outside transactions: WAL lets it read committed data while
    // a group commit holds the writer, so requests keep arriving into the next batch.
    if (path !== ':memory:') {
      const readSqlite = new SqliteDatabase(path, { readonly: true });
      readSqlite.pragma('busy_timeout = 10000');
      const read = withStatementCache(readSqlite);
      reader = new Kysely<Database>({ dialect: new ReaderSqliteDialect(read.database) });
      // Read-only and never in a transaction: prepared queries may run on it directly.
      bindDirect(reader, read.direct);
      startCheckpointer = () =>
        startWalCheckpointer(path, {
          onStarted: () => sqlite.pragma('wal_autocheckpoint = 0'),
          onStopped: () => {
            if (sqlite.open) sqlite.pragma('wal_autocheckpoint = 1000');
          },
        });
    }
    caps = { dialect: 'sqlite', rowLocks: false, onlineBackup: path !== ':memory:' };
    // Every remaining page in one step: the step reads one WAL snapshot, so writers elsewhere
    // neither wait nor make it start over (small steps restart whenever another process writes).
    backup = async (target) => {
      const done = await sqlite.backup(target, { progress: () => 0x7fffffff });
      return { pages: done.totalPages };
    };
    // Through Kysely's connection lock, so a scan never reads inside another caller's open transaction.
    selectArrays = (query) =>
      db.connection().execute(
        async () =>
          sqlite
            .prepare(query.sql)
            .raw(true)
            .all(...query.parameters) as unknown[][],
      );
  } else {
    // bigint columns (times, counters) come back as JS numbers: every value we store fits in 2^53.
    pg.types.setTypeParser(20, (v: string) => Number(v));
    const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
    // An idle client's error (server restart, failover) must not crash the process: the pool
    // drops that client and the next query reconnects.
    pool.on('error', (err) => options.onPoolError?.(err));
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    caps = { dialect: 'postgres', rowLocks: true, onlineBackup: false };
    selectArrays = async (query) =>
      (await pool.query({ text: query.sql, values: [...query.parameters], rowMode: 'array' })).rows;
  }
  const afterCommit = wal && (() => (wal as WalSync).durable());
  const queue = createWriteQueue(db, {
    maxWaitMs: options.groupCommitMs ?? 0,
    direct: writerDirect,
    afterCommit,
  });
  let units = 0;
  let checkpointer: WalCheckpointer | undefined;
  return {
    db,
    reader: reader ?? db,
    caps,
    async transaction(work) {
      const value = await db
        .transaction()
        .execute((t) => withDirect(t, writerDirect, (trx) => withDeferredWrites(trx, work)));
      await afterCommit?.();
      return value;
    },
    groupCommit(work) {
      if (++units === BACKGROUND_CHECKPOINT_AFTER && startCheckpointer) checkpointer = startCheckpointer();
      return queue.run(work);
    },
    selectArrays,
    backup: (target) => backup(target),
    async migrate() {
      const migrator = new Migrator({ db, provider: migrationProvider });
      const { error, results } = await migrator.migrateToLatest();
      if (error) throw error;
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    },
    async close() {
      await queue.drain();
      await checkpointer?.stop();
      await wal?.close();
      if (reader) await reader.destroy();
      await db.destroy();
    },
  };
}
