import type { Db } from '../open-store.js';
import type { OidcSigningKeyRow } from '../schema.js';

/** ID-token signing keys. */
export const oidcSigningKeysRepo = {
  async insert(db: Db, row: OidcSigningKeyRow): Promise<void> {
    await db.insertInto('oidc_signing_keys').values(row).execute();
  },

  /** Keys still published at `now` (unretired, or retired but not yet past their publication), newest first. */
  published(db: Db, now: number): Promise<OidcSigningKeyRow[]> {
    return db
      .selectFrom('oidc_signing_keys')
      .selectAll()
      .where((eb) => eb.or([eb('expires_publish_at', 'is', null), eb('expires_publish_at', '>', now)]))
      .orderBy('created_at', 'desc')
      .orderBy('kid')
      .execute();
  },

  /** The unretired keys, newest first. */
  current(db: Db): Promise<OidcSigningKeyRow[]> {
    return db
      .selectFrom('oidc_signing_keys')
      .selectAll()
      .where('retired_at', 'is', null)
      .orderBy('created_at', 'desc')
      .orderBy('kid')
      .execute();
  },

  /** Retires a key (it signs no more) and sets how long it stays published; false if already retired. */
  async retire(db: Db, kid: string, at: number, publishUntil: number): Promise<boolean> {
    const r = await db
      .updateTable('oidc_signing_keys')
      .set({ retired_at: at, expires_publish_at: publishUntil })
      .where('kid', '=', kid)
      .where('retired_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },
};
