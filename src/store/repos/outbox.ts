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
  /** Deletes up to `limit` messages kept before `before` (housekeeping); returns how many. */
  async deleteSentBefore(db: Db, before: number, limit: number): Promise<number> {
    const batch = db.selectFrom('outbox').select('id').where('sent_at', '<', before).limit(limit);
    const r = await db.deleteFrom('outbox').where('id', 'in', batch).executeTakeFirst();
    return Number(r.numDeletedRows);
  },
};
