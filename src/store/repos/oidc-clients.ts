import type { Db } from '../open-store.js';
import type { OidcClientRow } from '../schema.js';

/** Registered OIDC clients. */
export const oidcClientsRepo = {
  async insert(db: Db, row: OidcClientRow): Promise<void> {
    await db.insertInto('oidc_clients').values(row).execute();
  },

  byId(db: Db, clientId: string): Promise<OidcClientRow | undefined> {
    return db.selectFrom('oidc_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
  },

  /** Every client, oldest first. */
  list(db: Db): Promise<OidcClientRow[]> {
    return db.selectFrom('oidc_clients').selectAll().orderBy('created_at').orderBy('client_id').execute();
  },
};
