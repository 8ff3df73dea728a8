import type { Db } from '../open-store.js';
import { type PreparedQuery, prepareQuery } from '../prepared-query.js';
import type { AuthenticatorRow, NewAuthenticatorRow } from '../schema.js';
import type { UserGate } from './users.js';

type Kind = AuthenticatorRow['type'];

/** Which person a verification is for: by lower-cased username (the API) or by id (sign-in). */
type PersonKey = 'username_lower' | 'id';

/** A joined row of `verifiableOf`: the person's gate columns beside one authenticator's (or nulls). */
type GateJoinRow = { [K in keyof AuthenticatorRow]: AuthenticatorRow[K] | null } & {
  gate_id: string;
  gate_status: UserGate['status'];
  gate_locked_until: UserGate['locked_until'];
};

/** `verifiableOf` compiled once per list of types (callers pass a few fixed lists) and key. */
const verifiableQueries = new WeakMap<
  readonly Kind[],
  Record<PersonKey, PreparedQuery<[key: string], GateJoinRow>>
>();

function verifiableQuery(by: PersonKey, types: readonly Kind[]): PreparedQuery<[key: string], GateJoinRow> {
  let byKey = verifiableQueries.get(types);
  if (!byKey) {
    const list = [...types];
    const query = (column: PersonKey) =>
      prepareQuery((db, value: string) =>
        db
          .selectFrom('users')
          .leftJoin('authenticators', (join) =>
            join
              .onRef('authenticators.user_id', '=', 'users.id')
              .on('authenticators.state', 'in', ['pending', 'active'])
              .on('authenticators.type', 'in', list),
          )
          .selectAll('authenticators')
          .select([
            'users.id as gate_id',
            'users.status as gate_status',
            'users.locked_until as gate_locked_until',
          ])
          .where(`users.${column}`, '=', value),
      );
    byKey = { username_lower: query('username_lower'), id: query('id') };
    verifiableQueries.set(types, byKey);
  }
  return byKey[by];
}

/** A person's gate and their authenticators that may verify a code now (see `verifiableOf`). */
export interface GateAndVerifiable {
  gate: UserGate;
  authenticators: AuthenticatorRow[];
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

  /**
   * What a verification reads first, in one statement (the validation hot path): the person's
   * gate (who, whether active, whether locked) and their authenticators that may verify a code
   * now, pending or active, of the given types. Undefined for an unknown person.
   */
  async verifiableOf(
    db: Db,
    by: { username: string } | { userId: string },
    types: readonly Kind[],
  ): Promise<GateAndVerifiable | undefined> {
    const rows =
      'username' in by
        ? await verifiableQuery('username_lower', types).all(db, by.username.toLowerCase())
        : await verifiableQuery('id', types).all(db, by.userId);
    const first = rows[0];
    if (!first) return undefined;
    const gate = { id: first.gate_id, status: first.gate_status, locked_until: first.gate_locked_until };
    const authenticators: AuthenticatorRow[] = [];
    for (const { gate_id, gate_status, gate_locked_until, ...row } of rows) {
      // A person without such authenticators comes back as one row of nulls on their side.
      if (row.id !== null) authenticators.push(row as AuthenticatorRow);
    }
    return { gate, authenticators };
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
