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
  /** People by lifecycle status (SCIM-deleted rows included: they are deprovisioned), from the tally. */
  async peopleByStatus(db: Db): Promise<Counts> {
    const rows = await db
      .selectFrom('metrics_people')
      .select(['status as key', 'n'])
      .where('n', '>', 0)
      .execute();
    return toCounts(rows);
  },

  /** Owned authenticators by `type/state` (inventory tokens without an owner are left out), from the tally. */
  async factorsByTypeState(db: Db): Promise<Array<{ type: Kind; state: string; n: number }>> {
    const rows = await db
      .selectFrom('metrics_factors')
      .select(['type', 'state', 'n'])
      .where('n', '>', 0)
      .orderBy('type')
      .orderBy('state')
      .execute();
    return rows.map((r) => ({ type: r.type as Kind, state: r.state, n: Number(r.n) }));
  },

  /**
   * The enrolment funnel per group ('' = everyone) over active people: how many, how many hold
   * any second factor (issued, in any state), how many hold an active one. Read from the tally
   * the triggers of migration 0011 keep: one row per group, groups without active people left out.
   */
  async funnelByGroup(
    db: Db,
  ): Promise<Array<{ group: string; people: number; started: number; completed: number }>> {
    const overall = await db
      .selectFrom('metrics_funnel')
      .select(['people', 'started', 'completed'])
      .where('group_id', '=', '')
      .execute();
    const grouped = await db
      .selectFrom('metrics_funnel')
      .innerJoin('groups', 'groups.id', 'metrics_funnel.group_id')
      .select(['groups.name as group', 'people', 'started', 'completed'])
      .where('people', '>', 0)
      .orderBy('groups.name')
      .execute();
    const everyone = overall[0] ?? { people: 0, started: 0, completed: 0 };
    return [{ ...everyone, group: '' }, ...grouped].map((r) => ({
      group: r.group,
      people: Number(r.people),
      started: Number(r.started),
      completed: Number(r.completed),
    }));
  },

  /**
   * Of the people whose first second factor was activated at or after `since` (from the
   * per-person tally): how many, and how many took at most each of `bounds` ms from creation.
   */
  async enrolmentCounts(
    db: Db,
    since: number,
    bounds: readonly number[],
  ): Promise<{ count: number; atOrBelow: number[] }> {
    const row = await db
      .selectFrom(enrolments(db, since))
      .select((eb) => [
        eb.fn.countAll().as('n'),
        ...bounds.map((b, i) => eb.fn.sum(eb.case().when('d', '<=', b).then(1).else(0).end()).as(`b${i}`)),
      ])
      .executeTakeFirst();
    const r = (row ?? {}) as Record<string, unknown>;
    return { count: Number(r.n ?? 0), atOrBelow: bounds.map((_, i) => Number(r[`b${i}`] ?? 0)) };
  },

  /**
   * The time to enrol (ms) at 1-based `rank` in ascending order among those `enrolmentCounts`
   * counts: a walk of the (enrol_ms, first_active_at) index in order, the window a filter on it
   * (`+` keeps SQLite from sorting the window's rows instead).
   */
  async enrolmentDurationAtRank(db: Db, since: number, rank: number): Promise<number> {
    const row = await db
      .selectFrom('metrics_enrolment')
      .select('enrol_ms')
      .where('enrol_ms', 'is not', null)
      .where(sql<number>`+first_active_at`, '>=', since)
      .orderBy('enrol_ms')
      .limit(1)
      .offset(rank - 1)
      .executeTakeFirst();
    return Number(row?.enrol_ms ?? 0);
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

/** Each recent enrolment's time to enrol as `d` (ms), from the per-person tally. */
function enrolments(db: Db, since: number) {
  return db
    .selectFrom('metrics_enrolment')
    .select('enrol_ms as d')
    .where('first_active_at', '>=', since)
    .as('e');
}
