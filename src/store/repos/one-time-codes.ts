import type { Selectable } from 'kysely';
import type { Db } from '../open-store.js';
import type { AuthenticatorRow, OneTimeCodesTable } from '../schema.js';

export type OneTimeCodeRow = Selectable<OneTimeCodesTable>;

/** A code that could be redeemed now, with what redemption needs of its authenticator. */
export interface RedeemableCode {
  id: string;
  code_hash: string;
  authenticator_id: string;
  state: AuthenticatorRow['state'];
  /** The authenticator's params (an access pass's `validFrom`). */
  params: string;
}

/**
 * Hashed single-use codes (recovery codes, access passes). `used_at` set means the code can no
 * longer be used: spent, or voided with its authenticator. Consuming is one conditional UPDATE,
 * so a code is redeemed once across every instance.
 */
export const oneTimeCodesRepo = {
  async insertMany(db: Db, rows: OneTimeCodeRow[]): Promise<void> {
    if (rows.length > 0) await db.insertInto('one_time_codes').values(rows).execute();
  },

  /**
   * The owner's unused codes of a type whose authenticator is usable (pending or active) and
   * not expired at `now`. Bound to `user_id` on both tables: a code never works for another person.
   */
  redeemable(db: Db, userId: string, type: AuthenticatorRow['type'], now: number): Promise<RedeemableCode[]> {
    return db
      .selectFrom('one_time_codes as c')
      .innerJoin('authenticators as a', 'a.id', 'c.authenticator_id')
      .select(['c.id', 'c.code_hash', 'c.authenticator_id', 'a.state', 'a.params'])
      .where('c.user_id', '=', userId)
      .where('a.user_id', '=', userId)
      .where('a.type', '=', type)
      .where('a.state', 'in', ['pending', 'active'])
      .where((eb) => eb.or([eb('a.expires_at', 'is', null), eb('a.expires_at', '>', now)]))
      .where('c.used_at', 'is', null)
      .execute();
  },

  /** Spends one code; true only for the one caller whose update found it unused. */
  async consume(db: Db, id: string, now: number): Promise<boolean> {
    const r = await db
      .updateTable('one_time_codes')
      .set({ used_at: now })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /** Voids every unused code of an authenticator (it was revoked or replaced); returns how many. */
  async voidUnused(db: Db, authenticatorId: string, now: number): Promise<number> {
    const r = await db
      .updateTable('one_time_codes')
      .set({ used_at: now })
      .where('authenticator_id', '=', authenticatorId)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  },

  /** Unused codes per authenticator, for the given authenticators (absent ids have none left). */
  async unusedCounts(db: Db, authenticatorIds: readonly string[]): Promise<Map<string, number>> {
    if (authenticatorIds.length === 0) return new Map();
    const rows = await db
      .selectFrom('one_time_codes')
      .select(['authenticator_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('authenticator_id', 'in', authenticatorIds)
      .where('used_at', 'is', null)
      .groupBy('authenticator_id')
      .execute();
    return new Map(rows.map((r) => [r.authenticator_id, Number(r.n)]));
  },
  /** Voids every unused code a person holds (the leaver); returns how many. */
  async voidAllOfUser(db: Db, userId: string, now: number): Promise<number> {
    const r = await db
      .updateTable('one_time_codes')
      .set({ used_at: now })
      .where('user_id', '=', userId)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  },
};
