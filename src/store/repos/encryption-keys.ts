import type { Selectable } from 'kysely';
import type { Db } from '../open-store.js';
import type { EncryptionKeysTable } from '../schema.js';

export type EncryptionKeyRow = Selectable<EncryptionKeysTable>;

/** Data-encryption keys (sealed under the master key). */
export const encryptionKeysRepo = {
  /** Every key of a purpose, current first. */
  list(db: Db, purpose: string): Promise<EncryptionKeyRow[]> {
    return db
      .selectFrom('encryption_keys')
      .selectAll()
      .where('purpose', '=', purpose)
      .orderBy('is_current', 'desc')
      .orderBy('created_at', 'desc')
      .execute();
  },

  byId(db: Db, id: string): Promise<EncryptionKeyRow | undefined> {
    return db.selectFrom('encryption_keys').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async insertCurrent(db: Db, row: Omit<EncryptionKeyRow, 'is_current' | 'retired_at'>): Promise<void> {
    await db
      .updateTable('encryption_keys')
      .set({ is_current: 0 })
      .where('purpose', '=', row.purpose)
      .where('is_current', '=', 1)
      .execute();
    await db
      .insertInto('encryption_keys')
      .values({ ...row, is_current: 1, retired_at: null })
      .execute();
  },

  async rewrap(db: Db, id: string, wrapped: string, masterKid: string): Promise<void> {
    await db
      .updateTable('encryption_keys')
      .set({ wrapped, master_kid: masterKid })
      .where('id', '=', id)
      .execute();
  },

  async retire(db: Db, id: string, at: number): Promise<void> {
    await db.updateTable('encryption_keys').set({ retired_at: at }).where('id', '=', id).execute();
  },
};
