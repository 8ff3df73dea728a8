import type { Db } from '../open-store.js';
import type { WebhookRow } from '../schema.js';

/** Webhook subscriptions. */
export const webhooksRepo = {
  async insert(db: Db, row: WebhookRow): Promise<void> {
    await db.insertInto('webhooks').values(row).execute();
  },

  byId(db: Db, id: string): Promise<WebhookRow | undefined> {
    return db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** Oldest first. */
  list(db: Db): Promise<WebhookRow[]> {
    return db.selectFrom('webhooks').selectAll().orderBy('created_at').orderBy('id').execute();
  },

  /** The active subscriptions (the caller filters by event type: the list is small). */
  active(db: Db): Promise<WebhookRow[]> {
    return db.selectFrom('webhooks').selectAll().where('active', '=', 1).orderBy('id').execute();
  },

  /** Stops deliveries; false when it was already inactive or does not exist. */
  async deactivate(db: Db, id: string): Promise<boolean> {
    const r = await db
      .updateTable('webhooks')
      .set({ active: 0 })
      .where('id', '=', id)
      .where('active', '=', 1)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },
};
