import type { Db } from '../open-store.js';
import type { LifecycleRuleRow, LifecycleRulesTable } from '../schema.js';

/** Lifecycle rules (data for lifecycle/evaluate-rules.ts). */
export const lifecycleRulesRepo = {
  /** Every rule, oldest first. */
  list(db: Db): Promise<LifecycleRuleRow[]> {
    return db.selectFrom('lifecycle_rules').selectAll().orderBy('created_at').orderBy('id').execute();
  },

  /** The enabled rules of some triggers, oldest first. */
  enabled(db: Db, triggers: ReadonlyArray<LifecycleRulesTable['trigger']>): Promise<LifecycleRuleRow[]> {
    return db
      .selectFrom('lifecycle_rules')
      .selectAll()
      .where('enabled', '=', 1)
      .where('trigger', 'in', triggers)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  },

  byId(db: Db, id: string): Promise<LifecycleRuleRow | undefined> {
    return db.selectFrom('lifecycle_rules').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async insert(db: Db, row: LifecycleRuleRow): Promise<void> {
    await db.insertInto('lifecycle_rules').values(row).execute();
  },

  async update(db: Db, id: string, patch: { name?: string; enabled?: number; updated_at: number }) {
    await db.updateTable('lifecycle_rules').set(patch).where('id', '=', id).execute();
  },
};
