import type { Db } from '../open-store.js';

/** Groups and memberships. */
export const groupsRepo = {
  byName(db: Db, name: string) {
    return db
      .selectFrom('groups')
      .selectAll()
      .where('name_lower', '=', name.toLowerCase())
      .executeTakeFirst();
  },

  byId(db: Db, id: string) {
    return db.selectFrom('groups').selectAll().where('id', '=', id).executeTakeFirst();
  },

  async insert(db: Db, row: { id: string; name: string; created_at: number }): Promise<void> {
    await db
      .insertInto('groups')
      .values({ ...row, name_lower: row.name.toLowerCase() })
      .execute();
  },

  list(db: Db) {
    return db.selectFrom('groups').selectAll().orderBy('name_lower').execute();
  },

  async addMember(db: Db, groupId: string, userId: string): Promise<void> {
    await db
      .insertInto('group_members')
      .values({ group_id: groupId, user_id: userId })
      .onConflict((oc) => oc.doNothing())
      .execute();
  },

  async removeMember(db: Db, groupId: string, userId: string): Promise<void> {
    await db
      .deleteFrom('group_members')
      .where('group_id', '=', groupId)
      .where('user_id', '=', userId)
      .execute();
  },

  /** Group names of one person. */
  async namesOf(db: Db, userId: string): Promise<string[]> {
    const rows = await db
      .selectFrom('group_members')
      .innerJoin('groups', 'groups.id', 'group_members.group_id')
      .select('groups.name')
      .where('group_members.user_id', '=', userId)
      .orderBy('groups.name_lower')
      .execute();
    return rows.map((r) => r.name);
  },

  async memberIds(db: Db, groupId: string): Promise<string[]> {
    const rows = await db
      .selectFrom('group_members')
      .select('user_id')
      .where('group_id', '=', groupId)
      .execute();
    return rows.map((r) => r.user_id);
  },
};
