import type { Db } from '../open-store.js';
import type { OutboxRow } from '../schema.js';

/** The dev outbox: mail kept in the database instead of sent, while no SMTP_URL is set. */
export const outboxRepo = {
  /** Stores a message; a second message for the same job is dropped (the job ran twice). */
  async insert(db: Db, row: OutboxRow): Promise<boolean> {
    const r = await db
      .insertInto('outbox')
      .values(row)
      .onConflict((oc) => oc.column('job_id').doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
  },

  /** Newest first. */
  list(db: Db, limit: number): Promise<OutboxRow[]> {
    return db
      .selectFrom('outbox')
      .selectAll()
      .orderBy('sent_at', 'desc')
      .orderBy('id')
      .limit(limit)
      .execute();
  },
};
