import type { Insertable } from 'kysely';
import type { Db } from '../open-store.js';
import { prepareQuery } from '../prepared-query.js';
import type { PolicyExceptionRow, PolicyExceptionsTable } from '../schema.js';

/** `unexpiredFor` for a person in no group, the common case on every validation: compiled once. */
const unexpiredForUserQuery = prepareQuery((db, userId: string, now: number) =>
  db
    .selectFrom('policy_exceptions')
    .selectAll()
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .where('user_id', '=', userId)
    .orderBy('expires_at'),
);

/** Policy exceptions: time-bound waivers. */
export const policyExceptionsRepo = {
  async insert(db: Db, row: Insertable<PolicyExceptionsTable>): Promise<void> {
    await db.insertInto('policy_exceptions').values(row).execute();
  },

  byId(db: Db, id: string): Promise<PolicyExceptionRow | undefined> {
    return db.selectFrom('policy_exceptions').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** Not revoked and not yet past expiry at `now` (it may not have started yet). */
  unexpired(db: Db, now: number): Promise<PolicyExceptionRow[]> {
    return db
      .selectFrom('policy_exceptions')
      .selectAll()
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .orderBy('expires_at')
      .execute();
  },

  /** The unexpired, unrevoked ones that name this person or one of their groups. */
  unexpiredFor(
    db: Db,
    userId: string,
    groups: readonly string[],
    now: number,
  ): Promise<PolicyExceptionRow[]> {
    if (groups.length === 0) return unexpiredForUserQuery.all(db, userId, now);
    return db
      .selectFrom('policy_exceptions')
      .selectAll()
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .where((eb) =>
        groups.length > 0
          ? eb.or([eb('user_id', '=', userId), eb('group_name', 'in', groups)])
          : eb('user_id', '=', userId),
      )
      .orderBy('expires_at')
      .execute();
  },

  /** Past expiry but not yet marked by the sweep (and not revoked). */
  overdue(db: Db, now: number): Promise<PolicyExceptionRow[]> {
    return db
      .selectFrom('policy_exceptions')
      .selectAll()
      .where('revoked_at', 'is', null)
      .where('expired_at', 'is', null)
      .where('expires_at', '<=', now)
      .orderBy('expires_at')
      .execute();
  },

  /** Newest first, bounded. */
  list(db: Db, limit: number): Promise<PolicyExceptionRow[]> {
    return db
      .selectFrom('policy_exceptions')
      .selectAll()
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
  },

  /** Revokes if still live; false when already revoked or unknown. */
  async revoke(db: Db, id: string, now: number): Promise<boolean> {
    const r = await db
      .updateTable('policy_exceptions')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /** The sweep's mark: true for the one run that marks it. */
  async markExpired(db: Db, id: string, now: number): Promise<boolean> {
    const r = await db
      .updateTable('policy_exceptions')
      .set({ expired_at: now })
      .where('id', '=', id)
      .where('expired_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /** Records a notice as sent, once (conditional update: true for the one run that records it). */
  async markNotified(db: Db, id: string, notice: '7d' | '1d', now: number): Promise<boolean> {
    const column = notice === '7d' ? 'notified_7d_at' : 'notified_1d_at';
    const r = await db
      .updateTable('policy_exceptions')
      .set({ [column]: now })
      .where('id', '=', id)
      .where(column, 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },
};
