import type { Db } from '../open-store.js';
import { prepareQuery } from '../prepared-query.js';
import type { OidcClientRow } from '../schema.js';

/** `byId` runs on every token request (oidc-provider looks the client up each time): compiled once. */
const byIdQuery = prepareQuery((db, clientId: string) =>
  db.selectFrom('oidc_clients').selectAll().where('client_id', '=', clientId),
);

/** Registered OIDC clients. */
export const oidcClientsRepo = {
  async insert(db: Db, row: OidcClientRow): Promise<void> {
    await db.insertInto('oidc_clients').values(row).execute();
  },

  byId(db: Db, clientId: string): Promise<OidcClientRow | undefined> {
    return byIdQuery.first(db, clientId);
  },

  /** Every client, oldest first. */
  list(db: Db): Promise<OidcClientRow[]> {
    return db.selectFrom('oidc_clients').selectAll().orderBy('created_at').orderBy('client_id').execute();
  },
};
