import type { Expression, SqlBool } from 'kysely';
import type { Db } from '../open-store.js';
import { orderedPage, type PageQuery } from '../page-query.js';
import { prepareQuery } from '../prepared-query.js';
import type { NewUserRow, UserRow, UserUpdate } from '../schema.js';

/**
 * What a verification needs of a person before the work: who, whether active, whether locked
 * (read with their authenticators by `authenticatorsRepo.verifiableOf`).
 */
export type UserGate = Pick<UserRow, 'id' | 'status' | 'locked_until'>;

/** The queries of the validation hot path, compiled once (see prepared-query.ts). */
const hot = {
  byId: prepareQuery((db, id: string) => db.selectFrom('users').selectAll().where('id', '=', id)),
  byUsernameLower: prepareQuery((db, lower: string) =>
    db.selectFrom('users').selectAll().where('username_lower', '=', lower),
  ),
  // The throttle columns only: a failed code is no change to the person (no `updated_at`, no
  // `version`), so SCIM's meta.lastModified and ETag stay as they were.
  recordFailure: prepareQuery((db, id: string) =>
    db
      .updateTable('users')
      .set((eb) => ({ failed_attempts: eb('failed_attempts', '+', 1) }))
      .where('id', '=', id)
      .returning('failed_attempts'),
  ),
  setLockedUntil: prepareQuery((db, id: string, until: number | null) =>
    db.updateTable('users').set({ locked_until: until }).where('id', '=', id),
  ),
  resetFailures: prepareQuery((db, id: string) =>
    db
      .updateTable('users')
      .set({ failed_attempts: 0, locked_until: null })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('failed_attempts', '>', 0), eb('locked_until', 'is not', null)])),
  ),
  throttle: prepareQuery((db, id: string) =>
    db.selectFrom('users').select(['failed_attempts', 'locked_until', 'status']).where('id', '=', id),
  ),
  throttleForUpdate: prepareQuery((db, id: string) =>
    db
      .selectFrom('users')
      .select(['failed_attempts', 'locked_until', 'status'])
      .where('id', '=', id)
      .forUpdate(),
  ),
};

/** What a new person's row is made from: id, username and creation time; every other attribute may be given. */
export type NewUserFields = Pick<NewUserRow, 'id' | 'username' | 'created_at'> &
  Partial<Omit<NewUserRow, 'username_lower' | 'updated_at' | 'failed_attempts' | 'version'>>;

/**
 * A new `users` row, every column spelt out: active, no password, no lock, every optional
 * attribute null unless given. `username_lower` follows `username`, `updated_at` `created_at`.
 */
export function newUserRow(f: NewUserFields): NewUserRow {
  return {
    id: f.id,
    username: f.username,
    username_lower: f.username.toLowerCase(),
    email: f.email ?? null,
    display_name: f.display_name ?? null,
    status: f.status ?? 'active',
    external_id: f.external_id ?? null,
    password_hash: f.password_hash ?? null,
    locked_until: f.locked_until ?? null,
    created_at: f.created_at,
    updated_at: f.created_at,
    given_name: f.given_name ?? null,
    family_name: f.family_name ?? null,
    title: f.title ?? null,
    employee_number: f.employee_number ?? null,
    department: f.department ?? null,
    manager_id: f.manager_id ?? null,
    deleted_at: f.deleted_at ?? null,
    start_date: f.start_date ?? null,
  };
}

/** People. */
export const usersRepo = {
  byId(db: Db, id: string): Promise<UserRow | undefined> {
    return hot.byId.first(db, id);
  },

  /** Case-insensitive: usernames are unique regardless of case. */
  byUsername(db: Db, username: string): Promise<UserRow | undefined> {
    return hot.byUsernameLower.first(db, username.toLowerCase());
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
  async recordFailure(db: Db, id: string): Promise<number> {
    const r = await hot.recordFailure.first(db, id);
    return r?.failed_attempts ?? 0;
  },

  async setLockedUntil(db: Db, id: string, until: number | null): Promise<void> {
    await hot.setLockedUntil.run(db, id, until);
  },

  /** Clears the failure count after a success (no write when it is already clear). */
  async resetFailures(db: Db, id: string): Promise<void> {
    await hot.resetFailures.run(db, id);
  },

  /** The throttle state, read inside a write transaction (locking the row on PostgreSQL). */
  throttleForUpdate(db: Db, id: string, rowLocks: boolean) {
    return (rowLocks ? hot.throttleForUpdate : hot.throttle).first(db, id);
  },

  /**
   * A person, locked for the rest of the transaction on PostgreSQL (SQLite's BEGIN IMMEDIATE
   * already serialises writers): binding a factor and the leaver both take it first.
   */
  byIdForUpdate(db: Db, id: string, rowLocks: boolean): Promise<UserRow | undefined> {
    const q = db.selectFrom('users').selectAll().where('id', '=', id);
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
  /** Many people by id (bulk paths), in one query per 500 ids. */
  async byIds(db: Db, ids: readonly string[]): Promise<UserRow[]> {
    const out: UserRow[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      out.push(
        ...(await db
          .selectFrom('users')
          .selectAll()
          .where('id', 'in', ids.slice(i, i + 500))
          .execute()),
      );
    }
    return out;
  },
  /** Inserts many people in multi-row statements (the CSV import). */
  async insertMany(db: Db, rows: readonly NewUserRow[]): Promise<void> {
    // About 20 bound columns a row: 200 rows stay under SQLite's 32766 and PostgreSQL's 65535 parameters.
    for (let i = 0; i < rows.length; i += 200)
      await db
        .insertInto('users')
        .values(rows.slice(i, i + 200))
        .execute();
  },

  /** People by externalId (bulk matching), in one query per 500. */
  async byExternalIds(db: Db, externalIds: readonly string[]): Promise<UserRow[]> {
    const out: UserRow[] = [];
    for (let i = 0; i < externalIds.length; i += 500) {
      const part = externalIds.slice(i, i + 500);
      out.push(...(await db.selectFrom('users').selectAll().where('external_id', 'in', part).execute()));
    }
    return out;
  },

  /** People by username, any case (bulk matching), in one query per 500. */
  async byUsernames(db: Db, usernames: readonly string[]): Promise<UserRow[]> {
    const out: UserRow[] = [];
    for (let i = 0; i < usernames.length; i += 500) {
      const part = usernames.slice(i, i + 500).map((u) => u.toLowerCase());
      out.push(...(await db.selectFrom('users').selectAll().where('username_lower', 'in', part).execute()));
    }
    return out;
  },
};
