import { sql } from 'kysely';
import type { Db } from '../open-store.js';
import type { AuthenticatorsTable } from '../schema.js';

type Kind = AuthenticatorsTable['type'];

/** A count per key, as the figures want it (numbers, whatever the driver returns for COUNT/SUM). */
export type Counts = Record<string, number>;

/** Two adjacent windows of one count: the latest `(now − span, now]` and the one before it. */
export interface WindowPair {
  current: number;
  previous: number;
}

function toCounts(rows: Array<{ key: string | null; n: unknown }>): Counts {
  const out: Counts = {};
  for (const r of rows) out[r.key ?? ''] = Number(r.n);
  return out;
}

/**
 * Read-only aggregate queries behind the friction figures (src/metrics). Portable SQL only:
 * COUNT, conditional SUM and GROUP BY, which both dialects run alike; percentiles are computed
 * by the caller from the durations.
 */
export const metricsRepo = {
  /** People by lifecycle status (SCIM-deleted rows included: they are deprovisioned). */
  async peopleByStatus(db: Db): Promise<Counts> {
    const rows = await db
      .selectFrom('users')
      .select(['status as key', (eb) => eb.fn.countAll().as('n')])
      .groupBy('status')
      .execute();
    return toCounts(rows);
  },

  /** Owned authenticators by `type/state` (inventory tokens without an owner are left out). */
  async factorsByTypeState(db: Db): Promise<Array<{ type: Kind; state: string; n: number }>> {
    const rows = await db
      .selectFrom('authenticators')
      .select(['type', 'state', (eb) => eb.fn.countAll().as('n')])
      .where('user_id', 'is not', null)
      .groupBy(['type', 'state'])
      .execute();
    return rows.map((r) => ({ type: r.type, state: r.state, n: Number(r.n) }));
  },

  /**
   * The enrolment funnel per group ('' = everyone) over active people: how many, how many hold
   * any factor of `kinds` (issued, in any state), how many hold an active one. Each person's
   * factors are folded into one row first (a grouped derived table), so the join stays 1:1.
   */
  async funnelByGroup(
    db: Db,
    kinds: readonly Kind[],
  ): Promise<Array<{ group: string; people: number; started: number; completed: number }>> {
    const flags = () =>
      db
        .selectFrom('authenticators')
        .select((eb) => [
          'user_id',
          eb.fn.max(eb.case().when('state', '=', 'active').then(1).else(0).end()).as('active'),
        ])
        .where('type', 'in', kinds)
        .where('user_id', 'is not', null)
        .groupBy('user_id')
        .as('f');
    const overall = await db
      .selectFrom('users')
      .leftJoin(flags(), 'f.user_id', 'users.id')
      .select((eb) => [
        eb.fn.countAll().as('people'),
        eb.fn.count('f.user_id').as('started'),
        eb.fn.sum('f.active').as('completed'),
      ])
      .where('users.status', '=', 'active')
      .execute();
    const grouped = await db
      .selectFrom('group_members')
      .innerJoin('users', 'users.id', 'group_members.user_id')
      .innerJoin('groups', 'groups.id', 'group_members.group_id')
      .leftJoin(flags(), 'f.user_id', 'users.id')
      .select((eb) => [
        'groups.name as group',
        eb.fn.countAll().as('people'),
        eb.fn.count('f.user_id').as('started'),
        eb.fn.sum('f.active').as('completed'),
      ])
      .where('users.status', '=', 'active')
      .groupBy('groups.name')
      .orderBy('groups.name')
      .execute();
    return [...overall.map((r) => ({ ...r, group: '' })), ...grouped].map((r) => ({
      group: r.group,
      people: Number(r.people),
      started: Number(r.started ?? 0),
      completed: Number(r.completed ?? 0),
    }));
  },

  /**
   * Time to enrol in ms for every person whose first factor of `kinds` was activated at or
   * after `since` (first activation − person creation), ascending.
   */
  async enrolmentDurations(db: Db, kinds: readonly Kind[], since: number): Promise<number[]> {
    const firsts = db
      .selectFrom('authenticators')
      .select((eb) => ['user_id', eb.fn.min('activated_at').as('first')])
      .where('type', 'in', kinds)
      .where('activated_at', 'is not', null)
      .groupBy('user_id')
      .having((eb) => eb.fn.min('activated_at'), '>=', since)
      .as('a');
    const rows = await db
      .selectFrom(firsts)
      .innerJoin('users', 'users.id', 'a.user_id')
      .select(['users.created_at', 'a.first'])
      .execute();
    return rows.map((r) => Math.max(0, Number(r.first) - Number(r.created_at))).sort((a, b) => a - b);
  },

  /** Audit events of `actions` by action, in `(now − span, now]` (current) and the span before it (previous). */
  async actionsInWindows(
    db: Db,
    actions: readonly string[],
    now: number,
    spanMs: number,
  ): Promise<Record<string, WindowPair>> {
    const split = now - spanMs;
    const rows = await db
      .selectFrom('audit_events')
      .select((eb) => [
        'action',
        eb.fn.sum(eb.case().when('at', '>', split).then(1).else(0).end()).as('current'),
        eb.fn.sum(eb.case().when('at', '<=', split).then(1).else(0).end()).as('previous'),
      ])
      .where('at', '>', now - 2 * spanMs)
      .where('at', '<=', now)
      .where('action', 'in', actions)
      .groupBy('action')
      .execute();
    const out: Record<string, WindowPair> = {};
    for (const a of actions) out[a] = { current: 0, previous: 0 };
    for (const r of rows)
      out[r.action] = { current: Number(r.current ?? 0), previous: Number(r.previous ?? 0) };
    return out;
  },

  /** People created in `(now − span, now]` and the span before it (joiners, week over week). */
  async joinersInWindows(db: Db, now: number, spanMs: number): Promise<WindowPair> {
    const split = now - spanMs;
    const row = await db
      .selectFrom('users')
      .select((eb) => [
        eb.fn.sum(eb.case().when('created_at', '>', split).then(1).else(0).end()).as('current'),
        eb.fn.sum(eb.case().when('created_at', '<=', split).then(1).else(0).end()).as('previous'),
      ])
      .where('created_at', '>', now - 2 * spanMs)
      .where('created_at', '<=', now)
      .executeTakeFirst();
    return { current: Number(row?.current ?? 0), previous: Number(row?.previous ?? 0) };
  },

  /** Active people whose failure counter locks them out at `now`. */
  async throttledPeople(db: Db, now: number): Promise<number> {
    const row = await db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('locked_until', '>', now)
      .where('status', '=', 'active')
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  },

  /** Jobs by state. */
  async jobsByState(db: Db): Promise<Counts> {
    const rows = await db
      .selectFrom('jobs')
      .select(['state as key', (eb) => eb.fn.countAll().as('n')])
      .groupBy('state')
      .execute();
    return toCounts(rows);
  },

  /** How many audit events exist: the chain head's sequence number (no scan of the table). */
  async auditEventCount(db: Db): Promise<number> {
    const row = await db.selectFrom('audit_head').select(sql<number>`max(seq)`.as('n')).executeTakeFirst();
    return Number(row?.n ?? 0);
  },
};
