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

/**
 * Adds `sign` × person `u`'s contribution (1 person, started, completed) to the funnel rows it
 * counts in: everyone ('') and each of their groups. `people` = 0 moves only the factor flags.
 */
const adjustFunnel = (u: string, sign: '+' | '-', people: 0 | 1) => `
  UPDATE metrics_funnel SET
    people = people ${sign} ${people},
    started = started ${sign} ${startedOf(u)},
    completed = completed ${sign} ${completedOf(u)}
  WHERE (group_id = '' OR group_id IN (SELECT group_id FROM group_members WHERE user_id = ${u}))`;

/**
 * Re-tallies person `u`'s second factors from their own rows (an index lookup), moving the
 * funnel by the difference when they are active: out with the old flags, in with the new.
 */
const refreshEnrolment = (u: string) => [
  `${adjustFunnel(u, '-', 0)} AND ${isActive(u)}`,
  `INSERT INTO metrics_enrolment (user_id, factors, active, first_active_at, user_created_at, enrol_ms)
   SELECT ${u}, COUNT(*), COALESCE(SUM(CASE WHEN state = 'active' THEN 1 ELSE 0 END), 0), MIN(activated_at),
     (SELECT created_at FROM users WHERE id = ${u}),
     ${enrolMs('MIN(activated_at)', `(SELECT created_at FROM users WHERE id = ${u})`)}
   FROM authenticators WHERE user_id = ${u} AND type IN ${SF}
   ON CONFLICT (user_id) DO UPDATE SET factors = excluded.factors, active = excluded.active,
     first_active_at = excluded.first_active_at, user_created_at = excluded.user_created_at,
     enrol_ms = excluded.enrol_ms`,
  `${adjustFunnel(u, '+', 0)} AND ${isActive(u)}`,
];

const countStatus = (status: string, sign: '+' | '-') =>
  `INSERT INTO metrics_people (status, n) VALUES (${status}, ${sign}1)
   ON CONFLICT (status) DO UPDATE SET n = metrics_people.n ${sign} 1`;

/** A group's funnel row, created empty the first time the group gets a member. */
const ensureGroupRow = (g: string) =>
  `INSERT INTO metrics_funnel (group_id, people, started, completed) VALUES (${g}, 0, 0, 0)
   ON CONFLICT (group_id) DO NOTHING`;

const membership = (m: 'NEW' | 'OLD', sign: '+' | '-') => `
  UPDATE metrics_funnel SET
    people = people ${sign} 1,
    started = started ${sign} ${startedOf(`${m}.user_id`)},
    completed = completed ${sign} ${completedOf(`${m}.user_id`)}
  WHERE group_id = ${m}.group_id AND ${isActive(`${m}.user_id`)}`;

const countFactor = (m: 'NEW' | 'OLD', sign: '+' | '-') =>
  `INSERT INTO metrics_factors (type, state, n) VALUES (${m}.type, ${m}.state, ${sign}1)
   ON CONFLICT (type, state) DO UPDATE SET n = metrics_factors.n ${sign} 1`;

const SF_NEW = `NEW.type IN ${SF}`;
const SF_OLD = `OLD.type IN ${SF}`;

/** Each maintained change: table, event, condition (SQL over NEW/OLD), statements. */
interface Rule {
  name: string;
  table: string;
  timing: 'AFTER' | 'BEFORE';
  event: string;
  when: string;
  body: string[];
}

const RULES: Rule[] = [
  {
    name: 'users_ins',
    table: 'users',
    timing: 'AFTER',
    event: 'INSERT',
    when: 'TRUE',
    body: [
      countStatus('NEW.status', '+'),
      `UPDATE metrics_funnel SET people = people + 1 WHERE group_id = '' AND NEW.status = 'active'`,
    ],
  },
  {
    name: 'users_status',
    table: 'users',
    timing: 'AFTER',
    event: 'UPDATE OF status',
    when: 'OLD.status <> NEW.status',
    body: [countStatus('OLD.status', '-'), countStatus('NEW.status', '+')],
  },
  {
    name: 'users_leave',
    table: 'users',
    timing: 'AFTER',
    event: 'UPDATE OF status',
    when: `OLD.status = 'active' AND NEW.status <> 'active'`,
    body: [adjustFunnel('NEW.id', '-', 1)],
  },
  {
    name: 'users_join',
    table: 'users',
    timing: 'AFTER',
    event: 'UPDATE OF status',
    when: `OLD.status <> 'active' AND NEW.status = 'active'`,
    body: [adjustFunnel('NEW.id', '+', 1)],
  },
  {
    // Before the row goes, while its memberships still exist (their cascade then finds no active person).
    name: 'users_del',
    table: 'users',
    timing: 'BEFORE',
    event: 'DELETE',
    when: 'TRUE',
    body: [
      countStatus('OLD.status', '-'),
      `${adjustFunnel('OLD.id', '-', 1)} AND OLD.status = 'active'`,
      'DELETE FROM metrics_enrolment WHERE user_id = OLD.id',
    ],
  },
  {
    name: 'members_ins',
    table: 'group_members',
    timing: 'AFTER',
    event: 'INSERT',
    when: 'TRUE',
    body: [ensureGroupRow('NEW.group_id'), membership('NEW', '+')],
  },
  {
    name: 'members_del',
    table: 'group_members',
    timing: 'AFTER',
    event: 'DELETE',
    when: 'TRUE',
    body: [membership('OLD', '-')],
  },
  {
    name: 'members_upd',
    table: 'group_members',
    timing: 'AFTER',
    event: 'UPDATE',
    when: 'TRUE',
    body: [membership('OLD', '-'), ensureGroupRow('NEW.group_id'), membership('NEW', '+')],
  },
  {
    name: 'groups_del',
    table: 'groups',
    timing: 'AFTER',
    event: 'DELETE',
    when: 'TRUE',
    body: ['DELETE FROM metrics_funnel WHERE group_id = OLD.id'],
  },
  {
    name: 'factors_ins',
    table: 'authenticators',
    timing: 'AFTER',
    event: 'INSERT',
    when: 'NEW.user_id IS NOT NULL',
    body: [countFactor('NEW', '+')],
  },
  {
    name: 'factors_upd_out',
    table: 'authenticators',
    timing: 'AFTER',
    event: 'UPDATE OF user_id, type, state',
    when: 'OLD.user_id IS NOT NULL',
    body: [countFactor('OLD', '-')],
  },
  {
    name: 'factors_upd_in',
    table: 'authenticators',
    timing: 'AFTER',
    event: 'UPDATE OF user_id, type, state',
    when: 'NEW.user_id IS NOT NULL',
    body: [countFactor('NEW', '+')],
  },
  {
    name: 'factors_del',
    table: 'authenticators',
    timing: 'AFTER',
    event: 'DELETE',
    when: 'OLD.user_id IS NOT NULL',
    body: [countFactor('OLD', '-')],
  },
  {
    name: 'auth_ins',
    table: 'authenticators',
    timing: 'AFTER',
    event: 'INSERT',
    when: `NEW.user_id IS NOT NULL AND ${SF_NEW}`,
    body: refreshEnrolment('NEW.user_id'),
  },
  {
    name: 'auth_upd_old',
    table: 'authenticators',
    timing: 'AFTER',
    event: 'UPDATE OF user_id, type, state, activated_at',
    when: `OLD.user_id IS NOT NULL AND ${SF_OLD} AND (NEW.user_id IS NULL OR NEW.user_id <> OLD.user_id)`,
    body: refreshEnrolment('OLD.user_id'),
  },
  {
    name: 'auth_upd_new',
    table: 'authenticators',
    timing: 'AFTER',
    event: 'UPDATE OF user_id, type, state, activated_at',
    when: `NEW.user_id IS NOT NULL AND (${SF_NEW} OR ${SF_OLD})`,
    body: refreshEnrolment('NEW.user_id'),
  },
  {
    name: 'auth_del',
    table: 'authenticators',
    timing: 'AFTER',
    event: 'DELETE',
    when: `OLD.user_id IS NOT NULL AND ${SF_OLD}`,
    body: refreshEnrolment('OLD.user_id'),
  },
];

/** SQLite: one trigger per rule, its statements inline. */
const sqliteTrigger = (r: Rule) =>
  `CREATE TRIGGER metrics_${r.name} ${r.timing} ${r.event} ON ${r.table} FOR EACH ROW
   WHEN ${r.when === 'TRUE' ? '1' : r.when}
   BEGIN ${r.body.map((s) => `${s};`).join('\n')} END`;

/**
 * PostgreSQL: a PL/pgSQL function per rule (the condition an IF, so NULLs never fire it) and its
 * trigger. A BEFORE DELETE function returns OLD: NULL would cancel the delete.
 */
const pgTrigger = (r: Rule) => [
  `CREATE FUNCTION metrics_${r.name}() RETURNS trigger LANGUAGE plpgsql AS $fn$
   BEGIN
     IF ${r.when} THEN ${r.body.map((s) => `${s};`).join('\n')} END IF;
     RETURN ${r.timing === 'BEFORE' ? 'OLD' : 'NULL'};
   END $fn$`,
  `CREATE TRIGGER metrics_${r.name} ${r.timing} ${r.event} ON ${r.table}
   FOR EACH ROW EXECUTE FUNCTION metrics_${r.name}()`,
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

/** Recomputes the tallies from scratch (the migration's backfill; a repair if ever needed). Run in a transaction. */
export async function rebuildMetricsAggregates<DB>(db: Kysely<DB>): Promise<void> {
  for (const table of ['metrics_factors', 'metrics_people', 'metrics_enrolment', 'metrics_funnel']) {
    await sql.raw(`DELETE FROM ${table}`).execute(db);
  }
  for (const statement of BACKFILL) await sql.raw(statement).execute(db);
}

/**
 * Friction figures without whole-table scans (issue 6). Indexes for the windowed counts over
 * audit events and people, and three small tallies kept exact by triggers in the transaction
 * of every change to people, memberships and factors, whatever path makes it:
 * - metrics_people: people by status;
 * - metrics_factors: owned authenticators by type and state;
 * - metrics_enrolment: per person, their second factors (any state, active) and first activation;
 * - metrics_funnel: per group ('' = everyone), active people, started, completed.
 * The dashboard reads O(groups) rows for the funnel and the recent first activations for time to enrol.
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
    await db.schema
      .createTable('metrics_people')
      .addColumn('status', 'text', (c) => c.primaryKey())
      .addColumn('n', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('metrics_factors')
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('n', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('metrics_factors_pk', ['type', 'state'])
      .execute();
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
    await db.schema
      .createTable('metrics_funnel')
      .addColumn('group_id', 'text', (c) => c.primaryKey())
      .addColumn('people', 'bigint', (c) => c.notNull())
      .addColumn('started', 'bigint', (c) => c.notNull())
      .addColumn('completed', 'bigint', (c) => c.notNull())
      .execute();
    await rebuildMetricsAggregates(db);
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    for (const rule of RULES) {
      for (const statement of postgres ? pgTrigger(rule) : [sqliteTrigger(rule)]) {
        await sql.raw(statement).execute(db);
      }
    }
  },
};
