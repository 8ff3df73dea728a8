import { PostgresAdapter, sql } from 'kysely';
import type { Db } from '../open-store.js';
import type { AuthenticatorsTable } from '../schema.js';

type Kind = AuthenticatorsTable['type'];

/** The shared tallies of migration 0011: table, key columns, count columns (each with a `_delta` twin). */
const TALLIES = [
  ['metrics_people', ['status'], ['n']],
  ['metrics_factors', ['type', 'state'], ['n']],
  ['metrics_funnel', ['group_id'], ['people', 'started', 'completed']],
] as const;

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
      .selectFrom(
        db
          .selectFrom('metrics_people')
          .select(['status', 'n'])
          .unionAll(db.selectFrom('metrics_people_delta').select(['status', 'n']))
          .as('t'),
      )
      .select((eb) => ['status as key', eb.fn.sum<number>('n').as('n')])
      .groupBy('status')
      .having((eb) => eb.fn.sum('n'), '>', 0)
      .execute();
    return toCounts(rows);
  },

  /** Owned authenticators by `type/state` (inventory tokens without an owner are left out), from the tally. */
  async factorsByTypeState(db: Db): Promise<Array<{ type: Kind; state: string; n: number }>> {
    const rows = await db
      .selectFrom(
        db
          .selectFrom('metrics_factors')
          .select(['type', 'state', 'n'])
          .unionAll(db.selectFrom('metrics_factors_delta').select(['type', 'state', 'n']))
          .as('t'),
      )
      .select((eb) => ['type', 'state', eb.fn.sum<number>('n').as('n')])
      .groupBy(['type', 'state'])
      .having((eb) => eb.fn.sum('n'), '>', 0)
      .orderBy('type')
      .orderBy('state')
      .execute();
    return rows.map((r) => ({ type: r.type as Kind, state: r.state, n: Number(r.n) }));
  },

  /**
   * The enrolment funnel per group ('' = everyone) over active people: how many, how many hold
   * any second factor (issued, in any state), how many hold an active one. Read from the tally
   * the triggers of migration 0011 keep (base rows + pending deltas), groups without active
   * people left out, and so are the rows of groups deleted since the last compaction.
   */
  async funnelByGroup(
    db: Db,
  ): Promise<Array<{ group: string; people: number; started: number; completed: number }>> {
    const rows = await db
      .selectFrom(
        db
          .selectFrom('metrics_funnel')
          .select(['group_id', 'people', 'started', 'completed'])
          .unionAll(
            db.selectFrom('metrics_funnel_delta').select(['group_id', 'people', 'started', 'completed']),
          )
          .as('t'),
      )
      .leftJoin('groups', 'groups.id', 't.group_id')
      .select((eb) => [
        't.group_id',
        'groups.name as group',
        eb.fn.sum<number>('t.people').as('people'),
        eb.fn.sum<number>('t.started').as('started'),
        eb.fn.sum<number>('t.completed').as('completed'),
      ])
      .where((eb) => eb.or([eb('t.group_id', '=', ''), eb('groups.id', 'is not', null)]))
      .groupBy(['t.group_id', 'groups.name'])
      .orderBy('groups.name')
      .execute();
    const figures = (r: { people: unknown; started: unknown; completed: unknown }) => ({
      people: Number(r.people),
      started: Number(r.started),
      completed: Number(r.completed),
    });
    const everyone = rows.find((r) => r.group_id === '');
    return [
      { group: '', ...(everyone ? figures(everyone) : { people: 0, started: 0, completed: 0 }) },
      ...rows
        .filter((r) => r.group_id !== '' && Number(r.people) > 0)
        .map((r) => ({ group: r.group ?? '', ...figures(r) })),
    ];
  },

  /**
   * Folds the pending deltas of the shared tallies into their base rows (one row per key) and
   * drops the funnel rows of deleted groups. Run it in a transaction (the job `metrics-compact`
   * does, one short one): readers see the sums before or after, never a half. Concurrent writers
   * are not held up: they only append deltas, and on PostgreSQL each fold deletes exactly the
   * delta rows it adds (one statement), so rows committed meanwhile wait for the next run.
   * Returns how many delta rows were folded.
   */
  async compactDeltas(db: Db): Promise<number> {
    let folded = 0;
    for (const [table, keys, counts] of TALLIES) {
      const k = keys.join(', ');
      const sums = counts.map((c) => `SUM(${c}) AS ${c}`).join(', ');
      const add = counts.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(', ');
      // Deltas of a group deleted meanwhile are dropped, not folded.
      const live =
        table === 'metrics_funnel' ? `group_id = '' OR group_id IN (SELECT id FROM groups)` : 'TRUE';
      const upsert = (from: string) =>
        `INSERT INTO ${table} (${k}, ${counts.join(', ')}) SELECT ${k}, ${sums} FROM ${from}
         WHERE ${live} GROUP BY ${k} ON CONFLICT (${k}) DO UPDATE SET ${add}`;
      if (db.getExecutor().adapter instanceof PostgresAdapter) {
        const r = await sql
          .raw(
            `WITH moved AS (DELETE FROM ${table}_delta RETURNING *), folded AS (${upsert('moved')})
             SELECT COUNT(*) AS n FROM moved`,
          )
          .execute(db);
        folded += Number((r.rows[0] as { n: unknown } | undefined)?.n ?? 0);
      } else {
        // SQLite has one writer at a time: nothing lands between the fold and the delete.
        await sql.raw(upsert(`${table}_delta`)).execute(db);
        const r = await sql.raw(`DELETE FROM ${table}_delta`).execute(db);
        folded += Number(r.numAffectedRows ?? 0);
      }
    }
    await db
      .deleteFrom('metrics_funnel')
      .where('group_id', '<>', '')
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('groups').select('id').whereRef('groups.id', '=', 'metrics_funnel.group_id'))),
      )
      .execute();
    return folded;
  },

  /**
   * The times to enrol of the people whose first second factor was activated at or after
   * `since` (from the per-person tally), counted per `bucketMs`-wide bucket: bucket 0 holds the
   * durations of 0, bucket j ≥ 1 those in ((j − 1) × bucketMs, j × bucketMs]. One walk of the
   * (first_active_at, enrol_ms) index over the window; ascending by bucket.
   */
  async enrolmentHistogram(
    db: Db,
    since: number,
    bucketMs: number,
  ): Promise<Array<{ bucket: number; n: number }>> {
    // Integer division on both dialects (a bound JS number is a REAL to SQLite, hence the casts).
    const bucket = sql<number>`(enrol_ms + CAST(${bucketMs - 1} AS BIGINT)) / CAST(${bucketMs} AS BIGINT)`;
    const rows = await db
      .selectFrom('metrics_enrolment')
      .select((eb) => [bucket.as('bucket'), eb.fn.countAll().as('n')])
      .where('first_active_at', '>=', since)
      .groupBy(sql`1`) // the bucket: its parameters repeated would not be the same expression to PostgreSQL
      .execute();
    return rows
      .map((r) => ({ bucket: Number(r.bucket), n: Number(r.n) }))
      .sort((x, y) => x.bucket - y.bucket);
  },

  /**
   * The time to enrol (ms) at 1-based `rank` in ascending order among the durations in
   * `(above, atMost]` of the enrolments since `since` (default: all of them): a walk of the
   * (enrol_ms, first_active_at) index in order from `above`, the window a filter on it (`+`
   * keeps SQLite from sorting the window's rows instead).
   */
  async enrolmentDurationAtRank(
    db: Db,
    since: number,
    rank: number,
    range: { above: number; atMost: number } = { above: -1, atMost: Number.MAX_SAFE_INTEGER },
  ): Promise<number> {
    const row = await db
      .selectFrom('metrics_enrolment')
      .select('enrol_ms')
      .where('enrol_ms', '>', range.above)
      .where('enrol_ms', '<=', range.atMost)
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
