import type { Kysely, Migration } from 'kysely';

/**
 * Console roles of people: an administrator signs in to /console as a person (through the
 * provider, with MFA) and may do there what the same role may do on /api/v1. One row per role
 * a person holds; removing the person's roles deletes the rows.
 */
export const migration0009: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('person_roles')
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('granted_by', 'text', (c) => c.notNull())
      .addColumn('granted_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('person_roles_pk', ['user_id', 'role'])
      .execute();
  },
};
