import type { Insertable, Updateable } from 'kysely';
import type { Db } from '../open-store.js';
import type { RecoveryRequestRow, RecoveryRequestsTable } from '../schema.js';

type State = RecoveryRequestRow['state'];

/** Help-desk recovery requests. */
export const recoveryRequestsRepo = {
  async insert(db: Db, row: Insertable<RecoveryRequestsTable>): Promise<void> {
    await db.insertInto('recovery_requests').values(row).execute();
  },

  byId(db: Db, id: string): Promise<RecoveryRequestRow | undefined> {
    return db.selectFrom('recovery_requests').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /**
   * Newest first. `expired` is an open request past its deadline (it is never written back),
   * so `open` lists only those still decidable at `now`.
   */
  list(db: Db, opts: { state?: State; now: number; limit: number; offset: number }) {
    let q = db.selectFrom('recovery_requests').selectAll();
    if (opts.state === 'expired') {
      q = q.where((eb) =>
        eb.or([
          eb('state', '=', 'expired'),
          eb.and([eb('state', '=', 'open'), eb('expires_at', '<=', opts.now)]),
        ]),
      );
    } else if (opts.state === 'open') {
      q = q.where('state', '=', 'open').where('expires_at', '>', opts.now);
    } else if (opts.state) {
      q = q.where('state', '=', opts.state);
    }
    return q.orderBy('created_at', 'desc').orderBy('id').limit(opts.limit).offset(opts.offset).execute();
  },

  /**
   * Moves a request from `from` to another state with the given fields, only if it is still in
   * `from` (compare-and-set): of two concurrent decisions one wins. False when it lost.
   */
  async decide(
    db: Db,
    id: string,
    from: State,
    patch: Updateable<RecoveryRequestsTable> & { state: State; updated_at: number },
  ): Promise<boolean> {
    const r = await db
      .updateTable('recovery_requests')
      .set(patch)
      .where('id', '=', id)
      .where('state', '=', from)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /** The person's approved requests whose pass has been redeemed (awaiting the new factor). */
  approvedWithRedeemedPass(db: Db, userId: string): Promise<RecoveryRequestRow[]> {
    return db
      .selectFrom('recovery_requests')
      .innerJoin('authenticators', 'authenticators.id', 'recovery_requests.pass_authenticator_id')
      .selectAll('recovery_requests')
      .where('recovery_requests.user_id', '=', userId)
      .where('recovery_requests.state', '=', 'approved')
      .where('authenticators.last_used_at', 'is not', null)
      .execute();
  },
};
