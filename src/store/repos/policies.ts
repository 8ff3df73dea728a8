import type { Insertable } from 'kysely';
import type { Db } from '../open-store.js';
import { prepareQuery } from '../prepared-query.js';
import type { PoliciesTable, PolicyRow } from '../schema.js';

/** `list` runs on every validation (policy evaluation): compiled once. */
const listQuery = prepareQuery((db) => db.selectFrom('policies').selectAll().orderBy('name'));

/** `versions` runs on every validation instead of `list` (see PolicyService.evaluateIn): compiled once. */
const versionsQuery = prepareQuery((db) =>
  db.selectFrom('policies').select(['id', 'version']).orderBy('name'),
);

/** Policies. The table is small (tens of rows): callers read it whole and evaluate in memory. */
export const policiesRepo = {
  async insert(db: Db, row: Insertable<PoliciesTable>): Promise<void> {
    await db.insertInto('policies').values(row).execute();
  },

  byId(db: Db, id: string): Promise<PolicyRow | undefined> {
    return db.selectFrom('policies').selectAll().where('id', '=', id).executeTakeFirst();
  },

  byName(db: Db, name: string): Promise<PolicyRow | undefined> {
    return db.selectFrom('policies').selectAll().where('name', '=', name).executeTakeFirst();
  },

  /** Every policy, by name. */
  list(db: Db): Promise<PolicyRow[]> {
    return listQuery.all(db);
  },

  /**
   * Id and version of every policy, by name: every change bumps the version (`update`), ids are
   * never reused, so this names the table's contents without reading the rules.
   */
  versions(db: Db): Promise<Array<Pick<PolicyRow, 'id' | 'version'>>> {
    return versionsQuery.all(db);
  },

  /** Replaces a policy's contents if it is still at `version` (compare-and-set); false otherwise. */
  async update(
    db: Db,
    id: string,
    version: number,
    patch: Pick<
      PolicyRow,
      'name' | 'target_kind' | 'target' | 'rules' | 'priority' | 'override' | 'enabled' | 'updated_at'
    >,
  ): Promise<boolean> {
    const r = await db
      .updateTable('policies')
      .set({ ...patch, version: version + 1 })
      .where('id', '=', id)
      .where('version', '=', version)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  async remove(db: Db, id: string): Promise<boolean> {
    const r = await db.deleteFrom('policies').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  },
};
