import type { Kysely, Migration } from 'kysely';

/**
 * Help-desk recovery requests: who asked, for whom, the proofing evidence, the decision and
 * the Temporary Access Pass it led to. Decisions move the state by compare-and-set, so two
 * approvers racing cannot both win.
 */
export const migration0008: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('recovery_requests')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      // The opening agent's audit label (`token:name(role)`) and token name (the four-eyes key).
      .addColumn('requested_by', 'text', (c) => c.notNull())
      .addColumn('requester_name', 'text', (c) => c.notNull())
      .addColumn('proofing_method', 'text', (c) => c.notNull())
      .addColumn('proofing_reference', 'text')
      .addColumn('notes', 'text')
      .addColumn('privileged', 'integer', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('approved_by', 'text')
      .addColumn('approved_at', 'bigint')
      .addColumn('decided_reason', 'text')
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('pass_authenticator_id', 'text')
      .addColumn('pass_delivery', 'text')
      .addColumn('revoke_old', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('completed_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('recovery_requests_user')
      .on('recovery_requests')
      .columns(['user_id', 'state'])
      .execute();
    await db.schema
      .createIndex('recovery_requests_state')
      .on('recovery_requests')
      .columns(['state', 'created_at'])
      .execute();
  },
};
