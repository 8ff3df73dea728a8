import type { Kysely, Migration } from 'kysely';

/** The group every installation's four-eyes recovery names by default (PORTCULLIS_PRIVILEGED_GROUPS). */
const ADMINS = 'admins';

/**
 * The 7-day passkey deadline (with reminders on days 1, 3 and 5) that migration 0006's
 * `*admin*` / `*privileged*` mover rules carried before policy became the one source of
 * enrolment timing, as policy data: `graceDays` 7, `reminderDays` counted back from that
 * deadline. Only timing: sign-in enforcement (`phishingResistant`) stays with the rules'
 * requirement, as before. Policy targets name groups exactly, so it is seeded for `admins` and
 * for every group that matches those patterns when this runs.
 * Written out here (not imported) so this migration never changes once shipped.
 */
const SEEDED_RULES = { graceDays: 7, reminderDays: [6, 4, 2] };

interface Tables {
  users: Record<string, unknown>;
  groups: { name: string };
  policies: Record<string, unknown>;
}

/**
 * A person's start date (`users.start_date`, ms since the epoch, null when unknown), which a
 * joiner rule can use to hand the manager a Temporary Access Pass before day one; and the
 * seeded group policies that keep the admin movers' 7-day deadline.
 */
export const migration0010: Migration = {
  async up(untyped: Kysely<unknown>) {
    const db = untyped as Kysely<Tables>;
    await db.schema.alterTable('users').addColumn('start_date', 'bigint').execute();

    const groups = await db.selectFrom('groups').select('name').execute();
    const names = new Map([[ADMINS, ADMINS]]);
    for (const g of groups) if (/admin|privileged/i.test(g.name)) names.set(g.name.toLowerCase(), g.name);
    const now = Date.now();
    await db
      .insertInto('policies')
      .values(
        [...names.values()].map((name, i) => ({
          id: `seeded-privileged-grace-${i + 1}`,
          name: `Group ${name}: a passkey within 7 days (was the admin mover rule)`,
          target_kind: 'group',
          target: name,
          rules: JSON.stringify(SEEDED_RULES),
          priority: 0,
          override: 0,
          enabled: 1,
          created_at: now,
          updated_at: now,
          version: 1,
        })),
      )
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
  },
};
