import { type Kysely, type Migration, PostgresAdapter, sql } from 'kysely';

/**
 * Second-factor kinds at the time of this migration (src/metrics/second-factors.ts derives them
 * from the authenticator registry; a test checks the two agree, so a new kind needs a migration).
 */
export const AGGREGATED_SECOND_FACTOR_KINDS = ['totp', 'hotp', 'webauthn'] as const;
const SF = `(${AGGREGATED_SECOND_FACTOR_KINDS.map((k) => `'${k}'`).join(', ')})`;

/** Time to enrol (ms, never negative; NULL before any activation) from first activation and creation. */
const enrolMs = (first: string, created: string) =>
  `CASE WHEN ${first} IS NULL THEN NULL WHEN ${first} < ${created} THEN 0 ELSE ${first} - ${created} END`;

/** Is person `u` (an SQL expression) active right now? */
const isActive = (u: string) => `EXISTS (SELECT 1 FROM users WHERE id = ${u} AND status = 'active')`;
/** 1 when person `u` has a second factor of any state / an active one, per their tally row. */
const startedOf = (u: string) =>
  `COALESCE((SELECT CASE WHEN factors > 0 THEN 1 ELSE 0 END FROM metrics_enrolment WHERE user_id = ${u}), 0)`;
const completedOf = (u: string) =>
  `COALESCE((SELECT CASE WHEN active > 0 THEN 1 ELSE 0 END FROM metrics_enrolment WHERE user_id = ${u}), 0)`;

/** The funnel rows person `u` counts in: everyone ('') and each of their groups. */
const funnelKeys = (u: string) =>
  `(SELECT '' AS group_id UNION ALL SELECT group_id FROM group_members WHERE user_id = ${u})`;

/**
 * Appends `sign` × person `u`'s whole contribution (1 person, started, completed) to each
 * funnel row they count in; `cond` (SQL) must hold for anything to be written.
 */
const funnelOf = (u: string, sign: '+' | '-', cond: string) => `
  INSERT INTO metrics_funnel_delta (group_id, people, started, completed)
  SELECT k.group_id, ${sign}1, ${sign}${startedOf(u)}, ${sign}${completedOf(u)}
  FROM ${funnelKeys(u)} k WHERE ${cond}`;

/**
 * Re-tallies the second factors of the people in relation `who` (a `user_id` column, each once)
 * from their own rows (index lookups). First the funnel moves by the difference of their flags
 * for those active (new − old, read before the per-person row changes), then their per-person
 * rows are written.
 */
const refreshEnrolment = (who: string) => [
  `INSERT INTO metrics_funnel_delta (group_id, people, started, completed)
   SELECT k.group_id, 0, SUM(d.ds), SUM(d.dc)
   FROM (
     SELECT x.user_id,
       MAX(CASE WHEN a.id IS NULL THEN 0 ELSE 1 END) - ${startedOf('x.user_id')} AS ds,
       MAX(CASE WHEN a.state = 'active' THEN 1 ELSE 0 END) - ${completedOf('x.user_id')} AS dc
     FROM ${who} x LEFT JOIN authenticators a ON a.user_id = x.user_id AND a.type IN ${SF}
     WHERE ${isActive('x.user_id')}
     GROUP BY x.user_id
   ) d
   INNER JOIN (
     SELECT y.user_id, '' AS group_id FROM ${who} y
     UNION ALL SELECT m.user_id, m.group_id FROM group_members m WHERE m.user_id IN (SELECT z.user_id FROM ${who} z)
   ) k ON k.user_id = d.user_id
   WHERE d.ds <> 0 OR d.dc <> 0
   GROUP BY k.group_id`,
  `INSERT INTO metrics_enrolment (user_id, factors, active, first_active_at, user_created_at, enrol_ms)
   SELECT u.id, COUNT(a.id), COALESCE(SUM(CASE WHEN a.state = 'active' THEN 1 ELSE 0 END), 0),
     MIN(a.activated_at), u.created_at, ${enrolMs('MIN(a.activated_at)', 'u.created_at')}
   FROM ${who} x INNER JOIN users u ON u.id = x.user_id
   LEFT JOIN authenticators a ON a.user_id = u.id AND a.type IN ${SF}
   WHERE TRUE GROUP BY u.id, u.created_at
   ON CONFLICT (user_id) DO UPDATE SET factors = excluded.factors, active = excluded.active,
     first_active_at = excluded.first_active_at, user_created_at = excluded.user_created_at,
     enrol_ms = excluded.enrol_ms`,
];

/** Appends ±1 person to the funnel row of each membership in `rows` (group_id, user_id) whose person is active. */
const memberships = (rows: string, sign: '+' | '-') => `
  INSERT INTO metrics_funnel_delta (group_id, people, started, completed)
  SELECT r.group_id, ${sign}COUNT(*),
    ${sign}COALESCE(SUM(CASE WHEN e.factors > 0 THEN 1 ELSE 0 END), 0),
    ${sign}COALESCE(SUM(CASE WHEN e.active > 0 THEN 1 ELSE 0 END), 0)
  FROM ${rows} r INNER JOIN users u ON u.id = r.user_id AND u.status = 'active'
  LEFT JOIN metrics_enrolment e ON e.user_id = r.user_id
  GROUP BY r.group_id`;

/** Appends ±1 factor per (type, state) of the owned authenticators in `rows`. */
const factorCounts = (rows: string, sign: '+' | '-') => `
  INSERT INTO metrics_factors_delta (type, state, n)
  SELECT r.type, r.state, ${sign}COUNT(*) FROM ${rows} r WHERE r.user_id IS NOT NULL GROUP BY r.type, r.state`;

/** The people owning a second factor among the authenticators in `rows`, each once. */
const ownersIn = (rows: string) =>
  `(SELECT DISTINCT r.user_id FROM ${rows} r WHERE r.user_id IS NOT NULL AND r.type IN ${SF})`;

const SF_NEW = `NEW.type IN ${SF}`;
const SF_OLD = `OLD.type IN ${SF}`;

/**
 * A change maintained row by row on both dialects: table, event, condition (SQL over NEW/OLD),
 * statements. Updates stay row-level: PostgreSQL's transition tables cannot go with `UPDATE OF`
 * column lists, and the condition then spares most updates (sign-ins, counters) any work.
 */
interface RowRule {
  name: string;
  table: string;
  timing: 'AFTER' | 'BEFORE';
  event: string;
  when: string;
  body: string[];
}

/**
 * A change maintained over the set of rows one statement inserted or deleted: on PostgreSQL a
 * statement-level trigger over the transition table (a 1,000-row INSERT appends one delta per
 * key, not 1,000), on SQLite a row-level one over a one-row relation of NEW/OLD.
 */
interface SetRule {
  name: string;
  table: string;
  event: 'INSERT' | 'DELETE';
  /** The columns the body reads from `rows`. */
  columns: string[];
  body: (rows: string) => string[];
}

/*
 * Every shared count (people by status, factors by type/state, the funnel rows) only ever gets
 * rows appended to its delta table here: no transaction updates a shared row, so concurrent
 * writers never wait on one another, and compaction (metricsRepo.compactDeltas) folds the deltas
 * into the base tables. The per-person tally (metrics_enrolment) is written in place: only
 * changes to that person touch it.
 */
const ROW_RULES: RowRule[] = [
  {
    name: 'users_status',
    table: 'users',
    timing: 'AFTER',
    event: 'UPDATE OF status',
    when: 'OLD.status <> NEW.status',
    body: [`INSERT INTO metrics_people_delta (status, n) VALUES (OLD.status, -1), (NEW.status, 1)`],
  },
  {
    name: 'users_leave',
    table: 'users',
    timing: 'AFTER',
    event: 'UPDATE OF status',
    when: `OLD.status = 'active' AND NEW.status <> 'active'`,
    body: [funnelOf('NEW.id', '-', 'TRUE')],
  },
  {
    name: 'users_join',
    table: 'users',
    timing: 'AFTER',
    event: 'UPDATE OF status',
    when: `OLD.status <> 'active' AND NEW.status = 'active'`,
    body: [funnelOf('NEW.id', '+', 'TRUE')],
  },
  {
    // Before the row goes, while its memberships still exist (their cascade then finds no active person).
    name: 'users_del',
    table: 'users',
    timing: 'BEFORE',
    event: 'DELETE',
    when: 'TRUE',
    body: [
      `INSERT INTO metrics_people_delta (status, n) VALUES (OLD.status, -1)`,
      funnelOf('OLD.id', '-', `OLD.status = 'active'`),
      'DELETE FROM metrics_enrolment WHERE user_id = OLD.id',
    ],
  },
  {
    name: 'members_upd',
    table: 'group_members',
    timing: 'AFTER',
    event: 'UPDATE',
    when: 'TRUE',
    body: [
      memberships('(SELECT OLD.group_id AS group_id, OLD.user_id AS user_id)', '-'),
      memberships('(SELECT NEW.group_id AS group_id, NEW.user_id AS user_id)', '+'),
    ],
  },
  {
    name: 'factors_upd',
    table: 'authenticators',
    timing: 'AFTER',
    event: 'UPDATE OF user_id, type, state',
    when: '(OLD.user_id IS NULL) <> (NEW.user_id IS NULL) OR OLD.type <> NEW.type OR OLD.state <> NEW.state',
    body: [
      `INSERT INTO metrics_factors_delta (type, state, n)
       SELECT OLD.type, OLD.state, -1 WHERE OLD.user_id IS NOT NULL
       UNION ALL SELECT NEW.type, NEW.state, 1 WHERE NEW.user_id IS NOT NULL`,
    ],
  },
  {
    name: 'auth_upd_old',
    table: 'authenticators',
    timing: 'AFTER',
    event: 'UPDATE OF user_id, type, state, activated_at',
    when: `OLD.user_id IS NOT NULL AND ${SF_OLD} AND (NEW.user_id IS NULL OR NEW.user_id <> OLD.user_id)`,
    body: refreshEnrolment('(SELECT OLD.user_id AS user_id)'),
  },
  {
    name: 'auth_upd_new',
    table: 'authenticators',
    timing: 'AFTER',
    event: 'UPDATE OF user_id, type, state, activated_at',
    when: `NEW.user_id IS NOT NULL AND (${SF_NEW} OR ${SF_OLD})`,
    body: refreshEnrolment('(SELECT NEW.user_id AS user_id)'),
  },
];

const SET_RULES: SetRule[] = [
  {
    name: 'users_ins',
    table: 'users',
    event: 'INSERT',
    columns: ['status'],
    body: (rows) => [
      `INSERT INTO metrics_people_delta (status, n) SELECT r.status, COUNT(*) FROM ${rows} r GROUP BY r.status`,
      // A new person holds no factor yet: they count in the funnel of everyone as invited only.
      `INSERT INTO metrics_funnel_delta (group_id, people, started, completed)
       SELECT '', c.n, 0, 0 FROM (SELECT COUNT(*) AS n FROM ${rows} r WHERE r.status = 'active') c WHERE c.n > 0`,
    ],
  },
  {
    name: 'members_ins',
    table: 'group_members',
    event: 'INSERT',
    columns: ['group_id', 'user_id'],
    body: (rows) => [memberships(rows, '+')],
  },
  {
    name: 'members_del',
    table: 'group_members',
    event: 'DELETE',
    columns: ['group_id', 'user_id'],
    body: (rows) => [memberships(rows, '-')],
  },
  {
    name: 'auth_ins',
    table: 'authenticators',
    event: 'INSERT',
    columns: ['user_id', 'type', 'state'],
    body: (rows) => [factorCounts(rows, '+'), ...refreshEnrolment(ownersIn(rows))],
  },
  {
    name: 'auth_del',
    table: 'authenticators',
    event: 'DELETE',
    columns: ['user_id', 'type', 'state'],
    body: (rows) => [factorCounts(rows, '-'), ...refreshEnrolment(ownersIn(rows))],
  },
];

/** SQLite: one trigger per rule, its statements inline; a set rule reads a one-row relation of NEW/OLD. */
const sqliteTriggers = (): string[] => [
  ...ROW_RULES.map(
    (r) => `CREATE TRIGGER metrics_${r.name} ${r.timing} ${r.event} ON ${r.table} FOR EACH ROW
     WHEN ${r.when === 'TRUE' ? '1' : r.when}
     BEGIN ${r.body.map((s) => `${s};`).join('\n')} END`,
  ),
  ...SET_RULES.map((r) => {
    const m = r.event === 'INSERT' ? 'NEW' : 'OLD';
    const rows = `(SELECT ${r.columns.map((c) => `${m}.${c} AS ${c}`).join(', ')})`;
    return `CREATE TRIGGER metrics_${r.name} AFTER ${r.event} ON ${r.table} FOR EACH ROW
     BEGIN ${r
       .body(rows)
       .map((s) => `${s};`)
       .join('\n')} END`;
  }),
];

/**
 * PostgreSQL: a PL/pgSQL function and trigger per rule. Row rules carry their condition as the
 * trigger's WHEN (the function is not even called otherwise); a BEFORE DELETE function returns
 * OLD (NULL would cancel the delete). Set rules run once per statement over its transition table.
 */
const pgTriggers = (): string[] => [
  ...ROW_RULES.flatMap((r) => [
    `CREATE FUNCTION metrics_${r.name}() RETURNS trigger LANGUAGE plpgsql AS $fn$
     BEGIN ${r.body.map((s) => `${s};`).join('\n')}
       RETURN ${r.timing === 'BEFORE' ? 'OLD' : 'NULL'};
     END $fn$`,
    `CREATE TRIGGER metrics_${r.name} ${r.timing} ${r.event} ON ${r.table} FOR EACH ROW
     ${r.when === 'TRUE' ? '' : `WHEN (${r.when})`} EXECUTE FUNCTION metrics_${r.name}()`,
  ]),
  ...SET_RULES.flatMap((r) => [
    `CREATE FUNCTION metrics_${r.name}() RETURNS trigger LANGUAGE plpgsql AS $fn$
     BEGIN ${r
       .body('metrics_rows')
       .map((s) => `${s};`)
       .join('\n')}
       RETURN NULL;
     END $fn$`,
    `CREATE TRIGGER metrics_${r.name} AFTER ${r.event} ON ${r.table}
     REFERENCING ${r.event === 'INSERT' ? 'NEW' : 'OLD'} TABLE AS metrics_rows
     FOR EACH STATEMENT EXECUTE FUNCTION metrics_${r.name}()`,
  ]),
];

/** Tallies from scratch: what the triggers keep up to date from here on. */
const BACKFILL = [
  `INSERT INTO metrics_factors (type, state, n)
   SELECT type, state, COUNT(*) FROM authenticators WHERE user_id IS NOT NULL GROUP BY type, state`,
  `INSERT INTO metrics_people (status, n) SELECT status, COUNT(*) FROM users GROUP BY status`,
  `INSERT INTO metrics_enrolment (user_id, factors, active, first_active_at, user_created_at, enrol_ms)
   SELECT a.user_id, COUNT(*), SUM(CASE WHEN a.state = 'active' THEN 1 ELSE 0 END), MIN(a.activated_at), u.created_at,
     ${enrolMs('MIN(a.activated_at)', 'u.created_at')}
   FROM authenticators a INNER JOIN users u ON u.id = a.user_id
   WHERE a.type IN ${SF} GROUP BY a.user_id, u.created_at`,
  `INSERT INTO metrics_funnel (group_id, people, started, completed)
   SELECT '', COUNT(*), COALESCE(SUM(CASE WHEN e.factors > 0 THEN 1 ELSE 0 END), 0),
     COALESCE(SUM(CASE WHEN e.active > 0 THEN 1 ELSE 0 END), 0)
   FROM users u LEFT JOIN metrics_enrolment e ON e.user_id = u.id WHERE u.status = 'active'`,
  `INSERT INTO metrics_funnel (group_id, people, started, completed)
   SELECT m.group_id, SUM(CASE WHEN u.status = 'active' THEN 1 ELSE 0 END),
     SUM(CASE WHEN u.status = 'active' AND e.factors > 0 THEN 1 ELSE 0 END),
     SUM(CASE WHEN u.status = 'active' AND e.active > 0 THEN 1 ELSE 0 END)
   FROM group_members m INNER JOIN users u ON u.id = m.user_id
   LEFT JOIN metrics_enrolment e ON e.user_id = m.user_id GROUP BY m.group_id`,
];

/** The shared tallies: each a base table plus an append-only `_delta` table of the same columns. */
export const SHARED_TALLIES = ['metrics_people', 'metrics_factors', 'metrics_funnel'] as const;

/** Recomputes the tallies from scratch (the migration's backfill; a repair if ever needed). Run in a transaction. */
export async function rebuildMetricsAggregates<DB>(db: Kysely<DB>): Promise<void> {
  for (const table of [...SHARED_TALLIES.flatMap((t) => [t, `${t}_delta`]), 'metrics_enrolment']) {
    await sql.raw(`DELETE FROM ${table}`).execute(db);
  }
  for (const statement of BACKFILL) await sql.raw(statement).execute(db);
}

/**
 * Friction figures without whole-table scans (issue 6). Indexes for the windowed counts over
 * audit events and people, and small tallies kept exact by triggers in the transaction of every
 * change to people, memberships and factors, whatever path makes it:
 * - metrics_people: people by status;
 * - metrics_factors: owned authenticators by type and state;
 * - metrics_funnel: per group ('' = everyone), active people, started, completed;
 * - metrics_enrolment: per person, their second factors (any state, active) and first activation.
 * The first three are shared rows every writer would contend on, so triggers only append
 * (key, delta) rows to their `_delta` tables; readers sum base + deltas by key, and compaction
 * (metricsRepo.compactDeltas, job `metrics-compact`) folds the deltas into the base rows.
 * The dashboard reads O(keys + pending deltas) rows for the counts and the recent first
 * activations for time to enrol.
 */
export const migration0011: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('audit_events_action_at')
      .on('audit_events')
      .columns(['action', 'at'])
      .execute();
    await db.schema.createIndex('users_created_at').on('users').column('created_at').execute();
    await db.schema
      .createIndex('users_locked_until')
      .on('users')
      .column('locked_until')
      .where(sql.ref('locked_until'), 'is not', null)
      .execute();
    // Each shared tally: its base table, one row per key, and its delta table, any number of rows per key.
    const tally = async (name: string, keys: string[], counts: string[]) => {
      for (const [table, keyed] of [
        [name, true],
        [`${name}_delta`, false],
      ] as const) {
        let t = db.schema.createTable(table);
        for (const k of keys) t = t.addColumn(k, 'text', (c) => c.notNull());
        for (const n of counts) t = t.addColumn(n, 'bigint', (c) => c.notNull());
        if (keyed) t = t.addPrimaryKeyConstraint(`${name}_pk`, keys as never);
        await t.execute();
      }
    };
    await tally('metrics_people', ['status'], ['n']);
    await tally('metrics_factors', ['type', 'state'], ['n']);
    await tally('metrics_funnel', ['group_id'], ['people', 'started', 'completed']);
    await db.schema
      .createTable('metrics_enrolment')
      .addColumn('user_id', 'text', (c) => c.primaryKey())
      .addColumn('factors', 'bigint', (c) => c.notNull())
      .addColumn('active', 'bigint', (c) => c.notNull())
      .addColumn('first_active_at', 'bigint')
      .addColumn('user_created_at', 'bigint', (c) => c.notNull())
      .addColumn('enrol_ms', 'bigint')
      .execute();
    // Counts by window walk the first; ranks walk the second in duration order (no sort).
    await db.schema
      .createIndex('metrics_enrolment_first_active')
      .on('metrics_enrolment')
      .columns(['first_active_at', 'enrol_ms'])
      .execute();
    await db.schema
      .createIndex('metrics_enrolment_enrol_ms')
      .on('metrics_enrolment')
      .columns(['enrol_ms', 'first_active_at'])
      .execute();
    await rebuildMetricsAggregates(db);
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    for (const statement of postgres ? pgTriggers() : sqliteTriggers()) {
      await sql.raw(statement).execute(db);
    }
  },
};
