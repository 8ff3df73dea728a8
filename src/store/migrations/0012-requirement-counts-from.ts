import { type Kysely, type Migration, sql } from 'kysely';

/**
 * When a requirement's grace period starts (`enrolment_requirements.counts_from`, ms): the
 * person's start date when it was still ahead at opening, else the opening itself. Reminder and
 * escalation days count from it, and a changed start date moves it (lifecycle/reschedule.ts).
 * Rows from before count from when they opened.
 */
export const migration0012: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('enrolment_requirements').addColumn('counts_from', 'bigint').execute();
    await sql`update enrolment_requirements set counts_from = created_at`.execute(db);
  },
};
