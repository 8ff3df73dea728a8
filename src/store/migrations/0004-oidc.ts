import type { Kysely, Migration } from 'kysely';

/**
 * The OIDC provider's storage: one generic table for every oidc-provider model (sessions,
 * interactions, codes, tokens, grants), the registered clients, and the signing keys.
 */
export const migration0004: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('oidc_models')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('grant_id', 'text')
      .addColumn('user_code', 'text')
      .addColumn('uid', 'text')
      // The person a session, grant or token belongs to: the leaver ends them all in one statement.
      .addColumn('account_id', 'text')
      .addColumn('expires_at', 'bigint')
      // Set once, by a conditional UPDATE: a code or refresh token is redeemed at most once.
      .addColumn('consumed_at', 'bigint')
      .addPrimaryKeyConstraint('oidc_models_pk', ['kind', 'id'])
      .execute();
    await db.schema.createIndex('oidc_models_grant').on('oidc_models').column('grant_id').execute();
    await db.schema.createIndex('oidc_models_uid').on('oidc_models').column('uid').execute();
    await db.schema.createIndex('oidc_models_user_code').on('oidc_models').column('user_code').execute();
    await db.schema.createIndex('oidc_models_account').on('oidc_models').column('account_id').execute();
    await db.schema.createIndex('oidc_models_expires').on('oidc_models').column('expires_at').execute();

    await db.schema
      .createTable('oidc_clients')
      .addColumn('client_id', 'text', (c) => c.primaryKey())
      // oidc-provider client metadata; a confidential client's secret is in it only sealed.
      .addColumn('metadata', 'text', (c) => c.notNull())
      .addColumn('first_party', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('oidc_signing_keys')
      .addColumn('kid', 'text', (c) => c.primaryKey())
      .addColumn('alg', 'text', (c) => c.notNull())
      // The private JWK, sealed by the keyring with aad `oidc-key:<kid>`.
      .addColumn('private_jwk_enc', 'text', (c) => c.notNull())
      .addColumn('public_jwk', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('retired_at', 'bigint')
      // A retired key stays in the JWKS until the tokens it signed have expired.
      .addColumn('expires_publish_at', 'bigint')
      .execute();
  },
};
