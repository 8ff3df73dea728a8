import type { Db } from '../open-store.js';
import { prepareQuery } from '../prepared-query.js';
import type { ApiTokenRow } from '../schema.js';

/** Every authenticated API request runs this lookup: compiled once. */
const byHashQuery = prepareQuery((db, tokenHash: string) =>
  db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash),
);

/** API bearer tokens, stored as SHA-256 of the token (they carry 256 bits of entropy). */
export const apiTokensRepo = {
  async insert(db: Db, row: Omit<ApiTokenRow, 'last_used_at' | 'revoked_at'>): Promise<void> {
    await db
      .insertInto('api_tokens')
      .values({ ...row, last_used_at: null, revoked_at: null })
      .execute();
  },

  byHash(db: Db, tokenHash: string): Promise<ApiTokenRow | undefined> {
    return byHashQuery.first(db, tokenHash);
  },

  byId(db: Db, id: string): Promise<ApiTokenRow | undefined> {
    return db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  },

  list(db: Db): Promise<ApiTokenRow[]> {
    return db.selectFrom('api_tokens').selectAll().orderBy('created_at').execute();
  },

  /** Revokes; false when it was already revoked or does not exist. */
  async revoke(db: Db, id: string, at: number): Promise<boolean> {
    const r = await db
      .updateTable('api_tokens')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  async count(db: Db): Promise<number> {
    const r = await db
      .selectFrom('api_tokens')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },
};
