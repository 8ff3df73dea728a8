import type { Db } from '../open-store.js';
import type { AuthenticatorRow, NewAuthenticatorRow } from '../schema.js';

/** Authenticators (every type; hardware tokens in the inventory too). */
export const authenticatorsRepo = {
  async insert(db: Db, row: NewAuthenticatorRow): Promise<void> {
    await db.insertInto('authenticators').values(row).execute();
  },

  byId(db: Db, id: string): Promise<AuthenticatorRow | undefined> {
    return db.selectFrom('authenticators').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** One person's authenticators, oldest first. */
  forUser(db: Db, userId: string): Promise<AuthenticatorRow[]> {
    return db.selectFrom('authenticators').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
  },

  /** The person's authenticators that may verify a code now: pending or active, of the given types. */
  verifiable(db: Db, userId: string, types: readonly AuthenticatorRow['type'][]): Promise<AuthenticatorRow[]> {
    return db
      .selectFrom('authenticators')
      .selectAll()
      .where('user_id', '=', userId)
      .where('state', 'in', ['pending', 'active'])
      .where('type', 'in', types)
      .execute();
  },

  /**
   * Accepts a use atomically: moves the counter forward only if nobody has moved it to or past
   * `counter` meanwhile (compare-and-set), so one code is accepted once across every instance.
   * Activates a pending authenticator on its first use. False when another request won.
   */
  async advanceCounter(db: Db, id: string, counter: number, expected: number | null, now: number): Promise<boolean> {
    const r = await db
      .updateTable('authenticators')
      .set((eb) => ({
        counter,
        last_used_at: now,
        updated_at: now,
        // Only pending or active rows match, so this is "pending becomes active".
        state: 'active' as const,
        activated_at: eb.fn.coalesce('activated_at', eb.val(now)),
      }))
      .where('id', '=', id)
      .where('state', 'in', ['pending', 'active'])
      .where((eb) => (expected === null ? eb('counter', 'is', null) : eb('counter', '=', expected)))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },
};
