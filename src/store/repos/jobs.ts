import type { Capabilities, Db } from '../open-store.js';
import type { JobRow, JobsTable, NewJobRow } from '../schema.js';

/** Which running job a worker holds: its lease is fenced by the worker id and the attempt number. */
export interface JobLease {
  id: string;
  lockedBy: string;
  attempts: number;
}

/**
 * Durable jobs. Every state change is one conditional UPDATE, so it holds across instances:
 * a claim takes only queued rows (PostgreSQL skips rows another worker is claiming; SQLite
 * serialises writers), and completing or failing a job needs the lease the worker was given.
 */
export const jobsRepo = {
  /** Inserts a job; false when its idempotency key is already taken (nothing is written). */
  async insert(db: Db, row: NewJobRow): Promise<boolean> {
    const r = await db
      .insertInto('jobs')
      .values(row)
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
  },

  /** Inserts many jobs in one statement, skipping taken idempotency keys; returns how many were new. */
  async insertMany(db: Db, rows: NewJobRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const r = await db
      .insertInto('jobs')
      .values(rows)
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0);
  },

  /**
   * Deletes up to `limit` jobs that finished successfully (`done`) before `before`
   * (housekeeping); returns how many. Failed and dead jobs stay for operators to look at or retry.
   */
  async deleteDoneBefore(db: Db, before: number, limit: number): Promise<number> {
    const batch = db
      .selectFrom('jobs')
      .select('id')
      .where('state', '=', 'done')
      .where('done_at', '<', before)
      .limit(limit);
    const r = await db.deleteFrom('jobs').where('id', 'in', batch).executeTakeFirst();
    return Number(r.numDeletedRows);
  },

  byId(db: Db, id: string): Promise<JobRow | undefined> {
    return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  },

  byIdempotencyKey(db: Db, key: string): Promise<JobRow | undefined> {
    return db.selectFrom('jobs').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
  },

  /**
   * Moves a job that has not started yet to run at `runAt` (a changed start date); false when
   * there is no such job or a worker has already claimed it.
   */
  async rescheduleQueued(db: Db, idempotencyKey: string, runAt: number, now: number): Promise<boolean> {
    const r = await db
      .updateTable('jobs')
      .set({ run_at: runAt, updated_at: now })
      .where('idempotency_key', '=', idempotencyKey)
      .where('state', '=', 'queued')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /** Newest first, optionally one state and one kind. */
  list(db: Db, opts: { state?: JobsTable['state']; kind?: string; limit: number }): Promise<JobRow[]> {
    let q = db.selectFrom('jobs').selectAll();
    if (opts.state) q = q.where('state', '=', opts.state);
    if (opts.kind) q = q.where('kind', '=', opts.kind);
    return q.orderBy('created_at', 'desc').orderBy('id').limit(opts.limit).execute();
  },

  /** Whether any job of the kinds is due: a read, so an idle poll takes no write lock. */
  async anyDue(db: Db, kinds: readonly string[], now: number): Promise<boolean> {
    const row = await db
      .selectFrom('jobs')
      .select('id')
      .where('state', '=', 'queued')
      .where('run_at', '<=', now)
      .where('kind', 'in', kinds)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  },

  /**
   * Claims up to `limit` due jobs of the given kinds for `lockedBy` until `lockedUntil`, counting
   * one more attempt.
   * PostgreSQL: `FOR UPDATE SKIP LOCKED`, so concurrent workers take disjoint rows without
   * waiting. SQLite has no row locks: run it inside a (BEGIN IMMEDIATE) transaction, which holds
   * the database's write lock, so the select and the update see no other writer in between.
   */
  claim(
    db: Db,
    caps: Capabilities,
    opts: { kinds: readonly string[]; lockedBy: string; lockedUntil: number; now: number; limit: number },
  ): Promise<JobRow[]> {
    const due = db
      .selectFrom('jobs')
      .select('id')
      .where('state', '=', 'queued')
      .where('run_at', '<=', opts.now)
      .where('kind', 'in', opts.kinds)
      .orderBy('run_at')
      .limit(opts.limit);
    return db
      .updateTable('jobs')
      .set((eb) => ({
        state: 'running',
        locked_by: opts.lockedBy,
        locked_until: opts.lockedUntil,
        attempts: eb('attempts', '+', 1),
        updated_at: opts.now,
      }))
      .where('id', 'in', caps.rowLocks ? due.forUpdate().skipLocked() : due)
      .where('state', '=', 'queued')
      .returningAll()
      .execute();
  },

  /** Whether any running job's lease ran out before `now` (a read: the sweep writes only then). */
  async anyExpired(db: Db, now: number): Promise<boolean> {
    const row = await db
      .selectFrom('jobs')
      .select('id')
      .where('state', '=', 'running')
      .where('locked_until', '<', now)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  },

  /**
   * Running jobs whose lease ran out before `now` (their worker crashed or hung) and that have
   * no attempt left: they become dead. Returns their rows (the caller audits them).
   */
  buryExpired(db: Db, now: number, error: string): Promise<Array<Pick<JobRow, 'id' | 'kind' | 'attempts'>>> {
    return db
      .updateTable('jobs')
      .set({
        state: 'dead',
        locked_by: null,
        locked_until: null,
        last_error: error,
        updated_at: now,
        done_at: now,
      })
      .where('state', '=', 'running')
      .where('locked_until', '<', now)
      .where((eb) => eb('attempts', '>=', eb.ref('max_attempts')))
      .returning(['id', 'kind', 'attempts'])
      .execute();
  },

  /** Running jobs whose lease ran out before `now` go back to the queue, due at once; returns how many. */
  async requeueExpired(db: Db, now: number, error: string): Promise<number> {
    const r = await db
      .updateTable('jobs')
      .set({
        state: 'queued',
        locked_by: null,
        locked_until: null,
        last_error: error,
        run_at: now,
        updated_at: now,
      })
      .where('state', '=', 'running')
      .where('locked_until', '<', now)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  },

  /** Marks a running job done; false when the lease is no longer this worker's (it was taken back). */
  async complete(db: Db, lease: JobLease, now: number): Promise<boolean> {
    const r = await db
      .updateTable('jobs')
      .set({
        state: 'done',
        locked_by: null,
        locked_until: null,
        last_error: null,
        updated_at: now,
        done_at: now,
      })
      .where('id', '=', lease.id)
      .where('state', '=', 'running')
      .where('locked_by', '=', lease.lockedBy)
      .where('attempts', '=', lease.attempts)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /**
   * Ends a failed run under its lease: back to the queue due at `retryAt`, or into a final state
   * (`failed`, `dead`). False when the lease is no longer this worker's.
   */
  async fail(
    db: Db,
    lease: JobLease,
    outcome: { state: 'queued'; retryAt: number } | { state: 'failed' | 'dead' },
    error: string,
    now: number,
  ): Promise<boolean> {
    const r = await db
      .updateTable('jobs')
      .set({
        state: outcome.state,
        locked_by: null,
        locked_until: null,
        last_error: error,
        updated_at: now,
        ...(outcome.state === 'queued' ? { run_at: outcome.retryAt } : { done_at: now }),
      })
      .where('id', '=', lease.id)
      .where('state', '=', 'running')
      .where('locked_by', '=', lease.lockedBy)
      .where('attempts', '=', lease.attempts)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /** Puts a failed or dead job back in the queue with fresh attempts; false when it is in another state. */
  async requeueFinal(db: Db, id: string, now: number): Promise<boolean> {
    const r = await db
      .updateTable('jobs')
      .set({ state: 'queued', attempts: 0, run_at: now, updated_at: now, done_at: null })
      .where('id', '=', id)
      .where('state', 'in', ['failed', 'dead'])
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },
};
