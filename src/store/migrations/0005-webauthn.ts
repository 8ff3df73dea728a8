import type { Kysely, Migration } from 'kysely';

/**
 * Passkeys (WebAuthn): one credential row per `webauthn` authenticator, and the ceremony
 * challenges, each single use (consumed by a conditional UPDATE) and short-lived.
 */
export const migration0005: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('webauthn_credentials')
      .addColumn('authenticator_id', 'text', (c) =>
        c.primaryKey().references('authenticators.id').onDelete('cascade'),
      )
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      // base64url; UNIQUE: a credential already bound to someone is refused by the database itself.
      .addColumn('credential_id', 'text', (c) => c.notNull().unique())
      // base64url COSE public key: not a secret, stored in clear.
      .addColumn('public_key', 'text', (c) => c.notNull())
      .addColumn('sign_count', 'bigint', (c) => c.notNull())
      .addColumn('aaguid', 'text', (c) => c.notNull())
      // JSON array of transports the browser reported ("internal", "usb", "hybrid", …).
      .addColumn('transports', 'text', (c) => c.notNull())
      .addColumn('backup_eligible', 'integer', (c) => c.notNull())
      .addColumn('backup_state', 'integer', (c) => c.notNull())
      .addColumn('device_type', 'text', (c) => c.notNull())
      // base64url user.id the credential was created with (discoverable sign-in returns it).
      .addColumn('user_handle', 'text', (c) => c.notNull())
      .addColumn('user_verified', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('webauthn_credentials_user')
      .on('webauthn_credentials')
      .column('user_id')
      .execute();

    await db.schema
      .createTable('webauthn_challenges')
      .addColumn('id', 'text', (c) => c.primaryKey())
      // SHA-256 of the challenge: a database dump holds no challenge that could still be answered.
      .addColumn('challenge_hash', 'text', (c) => c.notNull())
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text')
      // What the challenge was issued to (`interaction:<uid>`, `account:<session uid>`).
      .addColumn('binding', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('webauthn_challenges_expires')
      .on('webauthn_challenges')
      .column('expires_at')
      .execute();
  },
};
