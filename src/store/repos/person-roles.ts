import type { Db } from '../open-store.js';

/** The console roles people hold (person_roles). */
export const personRolesRepo = {
  async of(db: Db, userId: string): Promise<string[]> {
    const rows = await db
      .selectFrom('person_roles')
      .select('role')
      .where('user_id', '=', userId)
      .orderBy('role')
      .execute();
    return rows.map((r) => r.role);
  },

  /** Replaces the person's roles with `roles`. */
  async replace(
    db: Db,
    userId: string,
    roles: readonly string[],
    grantedBy: string,
    now: number,
  ): Promise<void> {
    await db.deleteFrom('person_roles').where('user_id', '=', userId).execute();
    if (roles.length === 0) return;
    await db
      .insertInto('person_roles')
      .values(roles.map((role) => ({ user_id: userId, role, granted_by: grantedBy, granted_at: now })))
      .execute();
  },
};
