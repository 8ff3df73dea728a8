import type { Expression, SqlBool } from 'kysely';
import type { Db } from '../open-store.js';
import { orderedPage, type PageQuery } from '../page-query.js';
import { prepareQuery } from '../prepared-query.js';

/** `namesOf` runs on every validation (the policy's group targets): compiled once. */
const namesOfQuery = prepareQuery((db, userId: string) =>
  db
    .selectFrom('group_members')
    .innerJoin('groups', 'groups.id', 'group_members.group_id')
    .select('groups.name')
    .where('group_members.user_id', '=', userId)
    .orderBy('groups.name_lower'),
);

/** Keeps every statement well under both dialects' bound-parameter limits. */
const CHUNK = 200;

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

  async insert(
    db: Db,
    row: { id: string; name: string; created_at: number; external_id?: string | null },
  ): Promise<void> {
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
    const rows = await namesOfQuery.all(db, userId);
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
  /** A group, locked for the rest of the transaction on PostgreSQL. */
  byIdForUpdate(db: Db, id: string, rowLocks: boolean) {
    const q = db.selectFrom('groups').selectAll().where('id', '=', id);
    return (rowLocks ? q.forUpdate() : q).executeTakeFirst();
  },

  byExternalId(db: Db, externalId: string) {
    return db.selectFrom('groups').selectAll().where('external_id', '=', externalId).executeTakeFirst();
  },

  /** Renames and/or re-keys a group; every change (members too, see `touch`) bumps `version`. */
  async update(db: Db, id: string, patch: { name: string; external_id: string | null; now: number }) {
    await db
      .updateTable('groups')
      .set((eb) => ({
        name: patch.name,
        name_lower: patch.name.toLowerCase(),
        external_id: patch.external_id,
        updated_at: patch.now,
        version: eb('version', '+', 1),
      }))
      .where('id', '=', id)
      .execute();
  },

  /** Records a change of members: new version and lastModified. */
  async touch(db: Db, id: string, now: number): Promise<void> {
    await db
      .updateTable('groups')
      .set((eb) => ({ updated_at: now, version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .execute();
  },

  /** Deletes a group; its memberships go with it (ON DELETE CASCADE). */
  async remove(db: Db, id: string): Promise<void> {
    await db.deleteFrom('groups').where('id', '=', id).execute();
  },

  /** A page of groups, filtered and sorted as asked. */
  page(db: Db, page: PageQuery) {
    return orderedPage(db.selectFrom('groups').selectAll(), 'groups', page).execute();
  },

  async count(db: Db, where: Expression<SqlBool>): Promise<number> {
    const r = await db
      .selectFrom('groups')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where(where)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  },

  /** The live (not deleted) members of a group with their names, by userName. */
  liveMembers(db: Db, groupId: string) {
    return db
      .selectFrom('group_members')
      .innerJoin('users', 'users.id', 'group_members.user_id')
      .select(['users.id', 'users.username', 'users.display_name'])
      .where('group_members.group_id', '=', groupId)
      .where('users.deleted_at', 'is', null)
      .orderBy('users.username_lower')
      .execute();
  },

  /** The groups of each of `userIds`, by name. */
  membershipsOf(db: Db, userIds: readonly string[]) {
    if (userIds.length === 0) return Promise.resolve([]);
    return db
      .selectFrom('group_members')
      .innerJoin('groups', 'groups.id', 'group_members.group_id')
      .select(['group_members.user_id', 'groups.id', 'groups.name'])
      .where('group_members.user_id', 'in', userIds)
      .orderBy('groups.name_lower')
      .execute();
  },

  /** Adds members (already-present ones are left alone). */
  async addMembers(db: Db, groupId: string, userIds: readonly string[]): Promise<void> {
    for (let i = 0; i < userIds.length; i += CHUNK) {
      const rows = userIds.slice(i, i + CHUNK).map((user_id) => ({ group_id: groupId, user_id }));
      await db
        .insertInto('group_members')
        .values(rows)
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  },

  async removeMembers(db: Db, groupId: string, userIds: readonly string[]): Promise<void> {
    for (let i = 0; i < userIds.length; i += CHUNK) {
      await db
        .deleteFrom('group_members')
        .where('group_id', '=', groupId)
        .where('user_id', 'in', userIds.slice(i, i + CHUNK))
        .execute();
    }
  },

  /** Takes a person out of every group; returns the groups' ids. */
  async leaveAll(db: Db, userId: string): Promise<string[]> {
    const rows = await db
      .deleteFrom('group_members')
      .where('user_id', '=', userId)
      .returning('group_id')
      .execute();
    return rows.map((r) => r.group_id);
  },
  /** Groups by name, any case (bulk paths), in one query per 500. */
  async byNames(db: Db, names: readonly string[]) {
    const out = [];
    for (let i = 0; i < names.length; i += 500) {
      const part = names.slice(i, i + 500).map((n) => n.toLowerCase());
      out.push(...(await db.selectFrom('groups').selectAll().where('name_lower', 'in', part).execute()));
    }
    return out;
  },

  /** Adds many (group, person) memberships at once; present ones are left alone. */
  async addMemberships(db: Db, rows: ReadonlyArray<{ group_id: string; user_id: string }>): Promise<void> {
    for (let i = 0; i < rows.length; i += 1000) {
      await db
        .insertInto('group_members')
        .values(rows.slice(i, i + 1000))
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  },
};
