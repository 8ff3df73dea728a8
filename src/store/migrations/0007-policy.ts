import type { Kysely, Migration } from 'kysely';

/**
 * Policies as data (per group, per application, or the default) and their time-bound
 * exceptions. Rules and waivers are JSON text; times are ms; booleans 0/1.
 */
export const migration0007: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('policies')
      .addColumn('id', 'text', (c) => c.primaryKey())
      // UNIQUE: explanations name policies, so two may not share a name.
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('target_kind', 'text', (c) => c.notNull())
      // A group name, a client_id, or null for the default policy.
      .addColumn('target', 'text')
      .addColumn('rules', 'text', (c) => c.notNull())
      .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('override', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();

    await db.schema
      .createTable('policy_exceptions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      // Exactly one of user_id and group_name is set (checked by the service).
      .addColumn('user_id', 'text', (c) => c.references('users.id'))
      .addColumn('group_name', 'text')
      .addColumn('waives', 'text', (c) => c.notNull())
      .addColumn('owner', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('ticket', 'text')
      .addColumn('starts_at', 'bigint', (c) => c.notNull())
      // NOT NULL: an exception without an end is the policy quietly changed.
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('granted_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      // Set by the sweep once the exception is past its expiry (evaluation never relies on it).
      .addColumn('expired_at', 'bigint')
      .addColumn('notified_7d_at', 'bigint')
      .addColumn('notified_1d_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('policy_exceptions_expires_at')
      .on('policy_exceptions')
      .column('expires_at')
      .execute();
    await db.schema.createIndex('policy_exceptions_user').on('policy_exceptions').column('user_id').execute();
  },
};
