import type { Db } from '../open-store.js';
import { prepareQuery } from '../prepared-query.js';
import type { OidcModelRow } from '../schema.js';

/** A model row as written (consumption is set only by `consume`). */
export type OidcModelWrite = Omit<OidcModelRow, 'consumed_at'>;

/** `upsert` and `find` run several times on every token and sign-in step: compiled once. */
const upsertQuery = prepareQuery(
  (
    db,
    kind: string,
    id: string,
    payload: string,
    grantId: string | null,
    userCode: string | null,
    uid: string | null,
    accountId: string | null,
    expiresAt: number | null,
  ) => {
    // What a write sets, on insert and on conflict alike (consumption only ever by `consume`).
    const written = {
      payload,
      grant_id: grantId,
      user_code: userCode,
      uid,
      account_id: accountId,
      expires_at: expiresAt,
    };
    return db
      .insertInto('oidc_models')
      .values({ kind, id, ...written, consumed_at: null })
      .onConflict((oc) => oc.columns(['kind', 'id']).doUpdateSet(written));
  },
);

const findQuery = prepareQuery((db, kind: string, id: string) =>
  db.selectFrom('oidc_models').selectAll().where('kind', '=', kind).where('id', '=', id),
);

/**
 * oidc-provider's models (and the sign-in flow's own state) by kind and id. Consuming is one
 * conditional UPDATE, so an authorization code or refresh token is redeemed once across every
 * instance.
 */
export const oidcModelsRepo = {
  /** Inserts or replaces a model; a consumption already recorded survives the replace. */
  async upsert(db: Db, row: OidcModelWrite): Promise<void> {
    await upsertQuery.run(
      db,
      row.kind,
      row.id,
      row.payload,
      row.grant_id,
      row.user_code,
      row.uid,
      row.account_id,
      row.expires_at,
    );
  },

  find(db: Db, kind: string, id: string): Promise<OidcModelRow | undefined> {
    return findQuery.first(db, kind, id);
  },

  findByUid(db: Db, kind: string, uid: string): Promise<OidcModelRow | undefined> {
    return db
      .selectFrom('oidc_models')
      .selectAll()
      .where('kind', '=', kind)
      .where('uid', '=', uid)
      .executeTakeFirst();
  },

  findByUserCode(db: Db, kind: string, userCode: string): Promise<OidcModelRow | undefined> {
    return db
      .selectFrom('oidc_models')
      .selectAll()
      .where('kind', '=', kind)
      .where('user_code', '=', userCode)
      .executeTakeFirst();
  },

  /** Marks a model consumed; true only for the one caller whose update found it unconsumed. */
  async consume(db: Db, kind: string, id: string, now: number): Promise<boolean> {
    const r = await db
      .updateTable('oidc_models')
      .set({ consumed_at: now })
      .where('kind', '=', kind)
      .where('id', '=', id)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /**
   * Inserts a model unless a live one with its kind and id exists (an expired one is replaced);
   * false when a live one did, and nothing changed.
   */
  async insertIfAbsent(db: Db, row: OidcModelWrite, now: number): Promise<boolean> {
    const { kind: _kind, id: _id, ...written } = row;
    const r = await db
      .insertInto('oidc_models')
      .values({ ...row, consumed_at: null })
      .onConflict((oc) =>
        oc
          .columns(['kind', 'id'])
          .doUpdateSet({ ...written, consumed_at: null })
          .where('oidc_models.expires_at', '<=', now),
      )
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows) === 1;
  },

  /**
   * Replaces a payload only if it is still `expected` (compare-and-set), so of two concurrent
   * steps on one sign-in only one moves it on. False when another request changed it first.
   */
  async replacePayload(
    db: Db,
    kind: string,
    id: string,
    expected: string,
    payload: string,
  ): Promise<boolean> {
    const r = await db
      .updateTable('oidc_models')
      .set({ payload })
      .where('kind', '=', kind)
      .where('id', '=', id)
      .where('payload', '=', expected)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  async destroy(db: Db, kind: string, id: string): Promise<void> {
    await db.deleteFrom('oidc_models').where('kind', '=', kind).where('id', '=', id).execute();
  },

  /** Deletes one kind's models of a grant (oidc-provider revokes kind by kind). */
  async revokeByGrantId(db: Db, kind: string, grantId: string): Promise<void> {
    await db.deleteFrom('oidc_models').where('kind', '=', kind).where('grant_id', '=', grantId).execute();
  },

  /** Deletes every model of a grant and the grant's own row (stored under `grantRowId`): a reused code or refresh token. */
  async revokeGrant(db: Db, grantId: string, grantRowId: string): Promise<number> {
    const r = await db
      .deleteFrom('oidc_models')
      .where((eb) =>
        eb.or([eb('grant_id', '=', grantId), eb.and([eb('kind', '=', 'Grant'), eb('id', '=', grantRowId)])]),
      )
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  },

  /** Deletes every session, grant and token of a person (the leaver); returns how many. */
  async revokeAccount(db: Db, accountId: string): Promise<number> {
    const r = await db.deleteFrom('oidc_models').where('account_id', '=', accountId).executeTakeFirst();
    return Number(r.numDeletedRows);
  },

  /** Deletes up to `limit` models that expired before `before` (housekeeping); returns how many. */
  async deleteExpired(db: Db, before: number, limit: number): Promise<number> {
    const batch = db
      .selectFrom('oidc_models')
      .select(['kind', 'id'])
      .where('expires_at', '<', before)
      .limit(limit)
      .$asTuple('kind', 'id');
    const r = await db
      .deleteFrom('oidc_models')
      .where(({ eb, refTuple }) => eb(refTuple('kind', 'id'), 'in', batch))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  },
};
