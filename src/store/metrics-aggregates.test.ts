import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../test/support/databases.js';
import { SECOND_FACTOR_KINDS } from '../metrics/second-factors.js';
import {
  AGGREGATED_SECOND_FACTOR_KINDS,
  rebuildMetricsAggregates,
  SHARED_TALLIES,
} from './migrations/0011-metrics-aggregates.js';
import { type Db, openStore, type Store } from './open-store.js';
import { metricsRepo } from './repos/metrics.js';
import type { AuthenticatorsTable, UsersTable } from './schema.js';

const KINDS = ['totp', 'hotp', 'webauthn', 'recovery_codes', 'access_pass'] as const;
const STATES = ['pending', 'active', 'suspended', 'lost', 'revoked'] as const;
const STATUSES: ReadonlyArray<UsersTable['status']> = ['active', 'suspended', 'deprovisioned'];

/** A small seeded PRNG (mulberry32): the same sequence on every run and dialect. */
function prng(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
  };
}

/** The figures computed from scratch over the base tables (the queries the tallies replace). */
async function fromScratch(db: Db, since: number) {
  const kinds = [...SECOND_FACTOR_KINDS];
  const flags = db
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
    .leftJoin(flags, 'f.user_id', 'users.id')
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
    .leftJoin(flags, 'f.user_id', 'users.id')
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
  const funnel = [...overall.map((r) => ({ ...r, group: '' })), ...grouped].map((r) => ({
    group: r.group,
    people: Number(r.people),
    started: Number(r.started ?? 0),
    completed: Number(r.completed ?? 0),
  }));
  const firsts = db
    .selectFrom('authenticators')
    .select((eb) => ['user_id', eb.fn.min('activated_at').as('first')])
    .where('type', 'in', kinds)
    .where('activated_at', 'is not', null)
    .groupBy('user_id')
    .having((eb) => eb.fn.min('activated_at'), '>=', since)
    .as('a');
  const durations = (
    await db
      .selectFrom(firsts)
      .innerJoin('users', 'users.id', 'a.user_id')
      .select(['users.created_at', 'a.first'])
      .execute()
  )
    .map((r) => Math.max(0, Number(r.first) - Number(r.created_at)))
    .sort((x, y) => x - y);
  const byStatus: Record<string, number> = {};
  for (const r of await db
    .selectFrom('users')
    .select(['status', (eb) => eb.fn.countAll().as('n')])
    .groupBy('status')
    .execute())
    byStatus[r.status] = Number(r.n);
  const factors = (
    await db
      .selectFrom('authenticators')
      .select(['type', 'state', (eb) => eb.fn.countAll().as('n')])
      .where('user_id', 'is not', null)
      .groupBy(['type', 'state'])
      .execute()
  )
    .map((f) => ({ type: f.type, state: f.state, n: Number(f.n) }))
    .sort((a, b) => (a.type === b.type ? cmp(a.state, b.state) : cmp(a.type, b.type)));
  return { funnel, durations, byStatus, factors };
}

/** Delta rows not yet folded into the shared tallies. */
async function pendingDeltas(db: Db): Promise<number> {
  let n = 0;
  for (const t of SHARED_TALLIES) {
    const r = await sql<{ n: unknown }>`SELECT COUNT(*) AS n FROM ${sql.table(`${t}_delta`)}`.execute(db);
    n += Number(r.rows[0]?.n ?? 0);
  }
  return n;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

async function fromTallies(db: Db, since: number) {
  return {
    funnel: await metricsRepo.funnelByGroup(db),
    durations: await durationsFromTally(db, since),
    byStatus: await metricsRepo.peopleByStatus(db),
    factors: (await metricsRepo.factorsByTypeState(db)).sort((a, b) =>
      a.type === b.type ? cmp(a.state, b.state) : cmp(a.type, b.type),
    ),
  };
}

/** Every duration the tally holds, read back rank by rank through the repository's own queries. */
async function durationsFromTally(db: Db, since: number): Promise<number[]> {
  const bucketMs = 100_000;
  const histogram = await metricsRepo.enrolmentHistogram(db, since, bucketMs);
  const count = histogram.reduce((n, h) => n + h.n, 0);
  const out: number[] = [];
  for (let rank = 1; rank <= count; rank++)
    out.push(await metricsRepo.enrolmentDurationAtRank(db, since, rank));
  // The histogram counts the same durations: each in its bucket, and ranks within a bucket agree.
  const expected = new Map<number, number>();
  for (const d of out)
    expected.set(Math.ceil(d / bucketMs), (expected.get(Math.ceil(d / bucketMs)) ?? 0) + 1);
  expect(histogram).toEqual([...expected].sort((a, b) => a[0] - b[0]).map(([bucket, n]) => ({ bucket, n })));
  for (const h of histogram.filter((x) => x.bucket > 0)) {
    const before = out.findIndex((d) => Math.ceil(d / bucketMs) === h.bucket);
    const range = { above: (h.bucket - 1) * bucketMs, atMost: h.bucket * bucketMs };
    expect(await metricsRepo.enrolmentDurationAtRank(db, since, h.n, range)).toBe(out[before + h.n - 1]);
  }
  return out;
}

describe('the metrics tallies (migration 0011)', () => {
  it('count the same second-factor kinds as the figures', () => {
    expect([...AGGREGATED_SECOND_FACTOR_KINDS].sort()).toEqual([...SECOND_FACTOR_KINDS].sort());
  });
});

/**
 * Random histories of people, statuses, memberships, factors (bound, unbound, re-stated,
 * deleted) and groups, in transactions some of which roll back: after each round the tallies
 * equal a recomputation from scratch, and a rebuild (what the migration's backfill does) too.
 */
describe.each(DIALECTS)('metrics tallies on %s', (dialect) => {
  let tdb: TestDatabase;
  let store: Store;
  const since = 500_000;

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    store = openStore(tdb.url);
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    await tdb.drop();
  });

  it('equal a recomputation from scratch after random histories, rollbacks included', async () => {
    const r = prng(dialect === 'sqlite' ? 11 : 12);
    const users: string[] = [];
    const groups: string[] = [];
    const factors: string[] = [];
    let n = 0;
    const id = (p: string) => `${p}${++n}`;
    const op = async (db: Db) => {
      const roll = r.int(100);
      if (roll < 12 || users.length < 3) {
        // One statement may insert several rows (PostgreSQL's statement-level triggers see them all at once).
        const uids = Array.from({ length: 1 + r.int(4) }, () => id('u'));
        await db
          .insertInto('users')
          .values(
            uids.map((uid) => ({
              id: uid,
              username: uid,
              username_lower: uid,
              status: r.pick(STATUSES),
              created_at: r.int(1_000_000),
              updated_at: 0,
            })),
          )
          .execute();
        users.push(...uids);
      } else if (roll < 16 || groups.length < 2) {
        const gid = id('g');
        await db
          .insertInto('groups')
          .values({ id: gid, name: `G${r.int(1000)}-${gid}`, name_lower: gid, created_at: 0 })
          .execute();
        groups.push(gid);
      } else if (roll < 26) {
        await db
          .updateTable('users')
          .set({ status: r.pick(STATUSES) })
          .where('id', '=', r.pick(users))
          .execute();
      } else if (roll < 42) {
        await db
          .insertInto('group_members')
          .values(
            Array.from({ length: 1 + r.int(4) }, () => ({
              group_id: r.pick(groups),
              user_id: r.pick(users),
            })),
          )
          .onConflict((oc) => oc.doNothing())
          .execute();
      } else if (roll < 48) {
        // One membership, or all of a person's at once.
        const all = r.chance(0.3);
        await db
          .deleteFrom('group_members')
          .where('user_id', '=', r.pick(users))
          .$if(!all, (q) => q.where('group_id', '=', r.pick(groups)))
          .execute();
      } else if (roll < 66) {
        const aids = Array.from({ length: 1 + r.int(4) }, () => id('a'));
        await db
          .insertInto('authenticators')
          .values(
            aids.map((aid) => {
              const state = r.pick(STATES);
              return {
                id: aid,
                user_id: r.chance(0.1) ? null : r.pick(users),
                type: r.pick(KINDS) as AuthenticatorsTable['type'],
                state,
                params: '{}',
                created_at: 0,
                updated_at: 0,
                activated_at: state === 'pending' ? null : r.int(1_200_000),
              };
            }),
          )
          .execute();
        factors.push(...aids);
      } else if (roll < 82 && factors.length > 0) {
        const state = r.pick(STATES);
        await db
          .updateTable('authenticators')
          .set({ state, ...(r.chance(0.5) ? { activated_at: r.int(1_200_000) } : {}) })
          .where('id', '=', r.pick(factors))
          .execute();
      } else if (roll < 88 && factors.length > 0) {
        // Bound to someone (an inventory token), moved, or unbound.
        await db
          .updateTable('authenticators')
          .set({ user_id: r.chance(0.2) ? null : r.pick(users) })
          .where('id', '=', r.pick(factors))
          .execute();
      } else if (roll < 92 && factors.length > 0) {
        if (r.chance(0.25)) {
          // All of one person's factors in one statement.
          const gone = await db
            .deleteFrom('authenticators')
            .where('user_id', '=', r.pick(users))
            .returning('id')
            .execute();
          for (const g of gone) factors.splice(factors.indexOf(g.id), 1);
        } else {
          const aid = r.pick(factors);
          await db.deleteFrom('authenticators').where('id', '=', aid).execute();
          factors.splice(factors.indexOf(aid), 1);
        }
      } else if (roll < 94 && groups.length > 3) {
        const gid = groups.splice(r.int(groups.length), 1)[0]!;
        await db.deleteFrom('groups').where('id', '=', gid).execute();
      } else if (roll < 96) {
        // A person without factors (nothing else refers to them here) is deleted outright.
        const uid = r.pick(users);
        const held = await db
          .selectFrom('authenticators')
          .select('id')
          .where('user_id', '=', uid)
          .executeTakeFirst();
        if (!held) {
          await db.deleteFrom('users').where('id', '=', uid).execute();
          users.splice(users.indexOf(uid), 1);
        }
      } else if (roll < 98) {
        // Compaction between the changes of a transaction (which may yet roll back).
        await metricsRepo.compactDeltas(db);
      } else {
        await db
          .updateTable('users')
          .set({ updated_at: r.int(9) })
          .where('id', '=', r.pick(users))
          .execute();
      }
    };
    let rolledBack = 0;
    let compacted = 0;
    for (let round = 0; round < 12; round++) {
      for (let t = 0; t < 25; t++) {
        const abort = r.chance(0.15);
        const snapshot = { users: [...users], groups: [...groups], factors: [...factors] };
        try {
          await store.transaction(async (trx) => {
            for (let k = 1 + r.int(6); k > 0; k--) await op(trx);
            if (abort) throw new Error('roll back');
          });
        } catch (err) {
          if ((err as Error).message !== 'roll back') throw err;
          rolledBack++;
          users.splice(0, users.length, ...snapshot.users);
          groups.splice(0, groups.length, ...snapshot.groups);
          factors.splice(0, factors.length, ...snapshot.factors);
        }
      }
      const expected = await fromScratch(store.db, since);
      expect(await fromTallies(store.db, since), `round ${round}`).toEqual(expected);
      // Compaction (in its own transaction, as the job runs it) at random points changes no figure.
      if (r.chance(0.5)) {
        compacted += await store.transaction((trx) => metricsRepo.compactDeltas(trx));
        expect(await pendingDeltas(store.db), `round ${round}`).toBe(0);
        expect(await fromTallies(store.db, since), `round ${round}, compacted`).toEqual(expected);
      }
    }
    expect(compacted).toBeGreaterThan(0);
    expect(rolledBack).toBeGreaterThan(0);
    const expected = await fromScratch(store.db, since);
    expect(expected.funnel.length).toBeGreaterThan(2);
    expect(expected.funnel[0]!.completed).toBeGreaterThan(0);
    expect(expected.durations.length).toBeGreaterThan(3);
    // The backfill (a rebuild from scratch) lands on the same tallies.
    await sql`DELETE FROM metrics_enrolment`.execute(store.db);
    for (const t of SHARED_TALLIES) {
      await sql.raw(`DELETE FROM ${t}`).execute(store.db);
      await sql.raw(`DELETE FROM ${t}_delta`).execute(store.db);
    }
    expect((await fromTallies(store.db, since)).funnel[0]!.people).toBe(0);
    await rebuildMetricsAggregates(store.db);
    expect(await fromTallies(store.db, since)).toEqual(expected);
  });

  it('re-tally a person only when an update changes what the tally is made of (migration 0013)', async () => {
    const uid = 'tally-only-on-change';
    await store.db
      .insertInto('users')
      .values({
        id: uid,
        username: uid,
        username_lower: uid,
        status: 'active',
        created_at: 1_000,
        updated_at: 0,
      })
      .execute();
    const aid = `${uid}-hotp`;
    await store.db
      .insertInto('authenticators')
      .values({
        id: aid,
        user_id: uid,
        type: 'hotp',
        state: 'active',
        params: '{}',
        created_at: 0,
        updated_at: 0,
        activated_at: 5_000,
      })
      .execute();
    const tally = () =>
      store.db
        .selectFrom('metrics_enrolment')
        .select(['factors', 'active', 'enrol_ms'])
        .where('user_id', '=', uid)
        .executeTakeFirstOrThrow();
    const exact = { factors: 1, active: 1, enrol_ms: 4_000 };
    expect(await tally()).toEqual(exact);
    // A marker only a re-tally would overwrite.
    await store.db.updateTable('metrics_enrolment').set({ factors: 99 }).where('user_id', '=', uid).execute();
    // What a validation writes: the counter, and state and first activation set to what they are.
    await store.db
      .updateTable('authenticators')
      .set((eb) => ({
        counter: 7,
        updated_at: 9,
        state: 'active',
        activated_at: eb.fn.coalesce('activated_at', eb.val(8_000)),
      }))
      .where('id', '=', aid)
      .execute();
    expect((await tally()).factors).toBe(99);
    // A real change (first activation moved) re-tallies the person from their rows.
    await store.db.updateTable('authenticators').set({ activated_at: 6_000 }).where('id', '=', aid).execute();
    expect(await tally()).toEqual({ ...exact, enrol_ms: 5_000 });
    await store.db.updateTable('metrics_enrolment').set({ factors: 99 }).where('user_id', '=', uid).execute();
    await store.db.updateTable('authenticators').set({ state: 'suspended' }).where('id', '=', aid).execute();
    expect(await tally()).toEqual({ factors: 1, active: 0, enrol_ms: 5_000 });
  });
});
