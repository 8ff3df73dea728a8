import type { Db } from '../open-store.js';
import { type PreparedQuery, prepareQuery } from '../prepared-query.js';
import type { AuthenticatorRow, NewAuthenticatorRow } from '../schema.js';

type Kind = AuthenticatorRow['type'];

/** `verifiable` compiled once per list of types (callers pass a few fixed lists). */
const verifiableQueries = new Map<string, PreparedQuery<[userId: string], AuthenticatorRow>>();

function verifiableQuery(types: readonly Kind[]): PreparedQuery<[userId: string], AuthenticatorRow> {
  const key = types.join(',');
  let q = verifiableQueries.get(key);
  if (!q) {
    const list = [...types];
    q = prepareQuery((db, userId: string) =>
      db
        .selectFrom('authenticators')
        .selectAll()
        .where('user_id', '=', userId)
        .where('state', 'in', ['pending', 'active'])
        .where('type', 'in', list),
    );
    verifiableQueries.set(key, q);
  }
  return q;
}

/** `forUser`, compiled once (an activation reads the person's factors). */
const forUserQuery = prepareQuery((db, userId: string) =>
  db.selectFrom('authenticators').selectAll().where('user_id', '=', userId).orderBy('created_at'),
);

/** The compare-and-set of `advanceCounter`, compiled once. */
const advanceCounterQuery = prepareQuery((db, id: string, counter: number, now: number) =>
  db
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
    .where((eb) => eb.or([eb('counter', 'is', null), eb('counter', '<', counter)])),
);

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
    return forUserQuery.all(db, userId);
  },

  /** Type and state of every authenticator of `userIds` (coverage reports; no secrets read). */
  typesOfUsers(db: Db, userIds: readonly string[]) {
    if (userIds.length === 0) return Promise.resolve([]);
    return db
      .selectFrom('authenticators')
      .select(['user_id', 'type', 'state', 'expires_at'])
      .where('user_id', 'in', userIds)
      .execute();
  },

  /** The person's authenticators that may verify a code now: pending or active, of the given types. */
  verifiable(
    db: Db,
    userId: string,
    types: readonly AuthenticatorRow['type'][],
  ): Promise<AuthenticatorRow[]> {
    if (types.length === 0) return Promise.resolve([]);
    return verifiableQuery(types).all(db, userId);
  },

  /** The person's authenticators of one type that are not revoked (to replace them). */
  liveOfType(db: Db, userId: string, type: AuthenticatorRow['type']): Promise<AuthenticatorRow[]> {
    return db
      .selectFrom('authenticators')
      .selectAll()
      .where('user_id', '=', userId)
      .where('type', '=', type)
      .where('state', '!=', 'revoked')
      .orderBy('created_at')
      .execute();
  },

  /**
   * Moves the state only if it is still `from` (compare-and-set), so two concurrent changes
   * cannot both apply. False when another request changed it first.
   */
  async changeState(
    db: Db,
    id: string,
    from: AuthenticatorRow['state'],
    to: AuthenticatorRow['state'],
    reason: string | null,
    now: number,
  ): Promise<boolean> {
    const r = await db
      .updateTable('authenticators')
      .set({ state: to, state_reason: reason, updated_at: now })
      .where('id', '=', id)
      .where('state', '=', from)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  async rename(db: Db, id: string, name: string | null, now: number): Promise<void> {
    await db.updateTable('authenticators').set({ name, updated_at: now }).where('id', '=', id).execute();
  },

  /** Records a use that spent no counter (a recovery code): last use, and activation if first. */
  async markUsed(db: Db, id: string, now: number): Promise<void> {
    await db
      .updateTable('authenticators')
      .set((eb) => ({
        last_used_at: now,
        updated_at: now,
        activated_at: eb.fn.coalesce('activated_at', eb.val(now)),
      }))
      .where('id', '=', id)
      .execute();
  },

  /**
   * Accepts a use atomically: moves the counter forward only if nobody has moved it to or past
   * `counter` meanwhile (compare-and-set), so one code is accepted once across every instance.
   * TOTP stores the last accepted step, HOTP the next expected counter: either way a use is
   * valid only while the stored value is below the new one. Activates a pending authenticator on
   * its first use. False when another request won.
   */
  async advanceCounter(db: Db, id: string, counter: number, now: number): Promise<boolean> {
    return (await advanceCounterQuery.run(db, id, counter, now)) === 1;
  },
  /** Up to `limit` access passes past their expiry that are not revoked yet (housekeeping), oldest first. */
  expiredAccessPasses(db: Db, now: number, limit: number): Promise<AuthenticatorRow[]> {
    return db
      .selectFrom('authenticators')
      .selectAll()
      .where('type', '=', 'access_pass')
      .where('state', '!=', 'revoked')
      .where('expires_at', '<=', now)
      .orderBy('expires_at')
      .orderBy('id')
      .limit(limit)
      .execute();
  },

  /** Revokes every authenticator of a person that is not revoked yet (the leaver); returns them. */
  revokeAllOfUser(db: Db, userId: string, reason: string, now: number) {
    return db
      .updateTable('authenticators')
      .set({ state: 'revoked', state_reason: reason, updated_at: now })
      .where('user_id', '=', userId)
      .where('state', '!=', 'revoked')
      .returning(['id', 'type'])
      .execute();
  },
};
