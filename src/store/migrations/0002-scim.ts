import type { Kysely, Migration } from 'kysely';

/** Columns each table gains, as [name, type]; every one nullable or defaulted, so old rows stay valid. */
const USER_COLUMNS = [
  ['given_name', 'text'],
  ['family_name', 'text'],
  ['title', 'text'],
  ['employee_number', 'text'],
  ['department', 'text'],
  // No foreign key: a manager is checked when set, and people are never hard-deleted.
  ['manager_id', 'text'],
  ['deleted_at', 'bigint'],
] as const;

/**
 * SCIM 2.0: the enterprise attributes people carry, a version per person and group for ETags
 * (bumped on every change), a soft-delete mark, and externalId / lastModified for groups.
 * SQLite adds one column per statement and cannot add a UNIQUE column, hence the separate index.
 */
export const migration0002: Migration = {
  async up(db: Kysely<unknown>) {
    for (const [name, type] of USER_COLUMNS) {
      await db.schema.alterTable('users').addColumn(name, type).execute();
    }
    await db.schema
      .alterTable('users')
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
    await db.schema.alterTable('groups').addColumn('external_id', 'text').execute();
    await db.schema.alterTable('groups').addColumn('updated_at', 'bigint').execute();
    await db.schema
      .alterTable('groups')
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .execute();
    await db.schema.createIndex('groups_external_id').unique().on('groups').column('external_id').execute();
  },
};
