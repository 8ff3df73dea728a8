import type { Expression, SqlBool } from 'kysely';
import type { Db } from '../open-store.js';
import { orderedPage, type PageQuery } from '../page-query.js';
import type { NewUserRow, UserRow, UserUpdate } from '../schema.js';

/** People. */
export const usersRepo = {
  byId(db: Db, id: string): Promise<UserRow | undefined> {
    return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** Case-insensitive: usernames are unique regardless of case. */
  byUsername(db: Db, username: string): Promise<UserRow | undefined> {
    return db
      .selectFrom('users')
      .selectAll()
      .where('username_lower', '=', username.toLowerCase())
      .executeTakeFirst();
  },

  async insert(db: Db, row: NewUserRow): Promise<void> {
    await db.insertInto('users').values(row).execute();
  },

  /** Changes a row; every change bumps `version` (the SCIM ETag). */
  async update(db: Db, id: string, patch: UserUpdate): Promise<void> {
    await db
      .updateTable('users')
      .set((eb) => ({ ...patch, version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .execute();
  },

  /** A page ordered by username, optionally filtered by a username/email/name prefix search. */
  list(db: Db, opts: { limit: number; offset: number; search?: string }): Promise<UserRow[]> {
    let q = db.selectFrom('users').selectAll();
    if (opts.search) {
      const s = `${opts.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      q = q.where((eb) =>
        eb.or([
          eb('username_lower', 'like', s),
          eb(eb.fn('lower', ['email']), 'like', s),
          eb(eb.fn('lower', ['display_name']), 'like', s),
        ]),
      );
    }
    return q.orderBy('username_lower').limit(opts.limit).offset(opts.offset).execute();
  },

  async count(db: Db): Promise<number> {
    const r = await db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },

  /**
   * Records one more consecutive failure and returns the new count. The row update takes the
   * row lock (PostgreSQL) or the write lock (SQLite), so concurrent failures all count.
   */
  async recordFailure(db: Db, id: string, now: number): Promise<number> {
    const r = await db
      .updateTable('users')
      .set((eb) => ({ failed_attempts: eb('failed_attempts', '+', 1), updated_at: now }))
      .where('id', '=', id)
      .returning('failed_attempts')
      .executeTakeFirst();
    return r?.failed_attempts ?? 0;
  },

  async setLockedUntil(db: Db, id: string, until: number | null): Promise<void> {
    await db.updateTable('users').set({ locked_until: until }).where('id', '=', id).execute();
  },

  /** Clears the failure count after a success (no write when it is already clear). */
  async resetFailures(db: Db, id: string): Promise<void> {
    await db
      .updateTable('users')
      .set({ failed_attempts: 0, locked_until: null })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('failed_attempts', '>', 0), eb('locked_until', 'is not', null)]))
      .execute();
  },

  /** The throttle state, read inside a write transaction (locking the row on PostgreSQL). */
  throttleForUpdate(db: Db, id: string, rowLocks: boolean) {
    const q = db
      .selectFrom('users')
      .select(['failed_attempts', 'locked_until', 'status'])
      .where('id', '=', id);
    return (rowLocks ? q.forUpdate() : q).executeTakeFirst();
  },

  /** A person SCIM still shows (not deleted), locked for the rest of the transaction on PostgreSQL. */
  liveByIdForUpdate(db: Db, id: string, rowLocks: boolean): Promise<UserRow | undefined> {
    const q = db.selectFrom('users').selectAll().where('id', '=', id).where('deleted_at', 'is', null);
    return (rowLocks ? q.forUpdate() : q).executeTakeFirst();
  },

  byExternalId(db: Db, externalId: string): Promise<UserRow | undefined> {
    return db.selectFrom('users').selectAll().where('external_id', '=', externalId).executeTakeFirst();
  },

  /** A page of people SCIM still shows, filtered and sorted as asked. */
  livePage(db: Db, page: PageQuery): Promise<UserRow[]> {
    const q = db.selectFrom('users').selectAll().where('deleted_at', 'is', null);
    return orderedPage(q, 'users', page).execute();
  },

  /** How many people SCIM still shows match `where`. */
  async liveCount(db: Db, where: Expression<SqlBool>): Promise<number> {
    const r = await db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('deleted_at', 'is', null)
      .where(where)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },

  /** Id, userName and displayName of the live people among `ids` (managers, group members). */
  liveNames(db: Db, ids: readonly string[]) {
    if (ids.length === 0) return Promise.resolve([]);
    return db
      .selectFrom('users')
      .select(['id', 'username', 'display_name'])
      .where('id', 'in', ids)
      .where('deleted_at', 'is', null)
      .execute();
  },

  /**
   * Marks a person deleted. The row stays (deprovisioned) so audit subjects resolve, but its
   * userName and externalId are freed for a rehire: the unique key becomes a value no userName
   * can take (userNames hold no spaces).
   */
  async markDeleted(db: Db, id: string, now: number): Promise<void> {
    await db
      .updateTable('users')
      .set((eb) => ({
        deleted_at: now,
        username_lower: `deleted ${id}`,
        external_id: null,
        updated_at: now,
        version: eb('version', '+', 1),
      }))
      .where('id', '=', id)
      .execute();
  },
};
