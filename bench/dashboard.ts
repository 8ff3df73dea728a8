import { pathToFileURL } from 'node:url';
import { loadConfig } from '../src/config.js';
import { quantile } from '../src/metrics/quantiles.js';
import { timeToEnrol } from '../src/metrics/time-to-enrol.js';
import { openRuntime } from '../src/runtime.js';
import { ManualClock } from '../src/shared/clock.js';
import { createLogger } from '../src/shared/logger.js';
import type { Store } from '../src/store/open-store.js';
import { newUserRow } from '../src/store/repos/users.js';
import type { AuditEventRow, NewAuthenticatorRow, NewUserRow } from '../src/store/schema.js';
import { createTestDatabase, type Dialect } from '../test/support/databases.js';
import { insertBatches } from './bulk-rows.js';

/** What one run of the dashboard benchmark measured. */
export interface DashboardBenchResult {
  /** 95th percentile of one full snapshot computation (every figure, cache bypassed), ms. */
  p95Ms: number;
  /** Each timed computation, ms, in run order. */
  samples: number[];
  /** 95th percentile of the time-to-enrol figure alone (the costliest), ms. */
  timeToEnrolP95Ms: number;
  /** How long the fill took (people, memberships and factors through the tally triggers; audit events), ms. */
  fillMs: number;
  /** How long one compaction of the tallies' deltas after the fill took, ms, and how many rows it folded. */
  compactMs: number;
  compactedRows: number;
}

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 28, 12);
const GROUPS = [
  'Engineering',
  'Sales',
  'Support',
  'Operations',
  'Marketing',
  'Finance',
  'People',
  'Legal',
  'IT',
];
/** The audit mix: mostly validations, some sign-ins, a sprinkle of recoveries and lifecycle. */
const ACTIONS: ReadonlyArray<readonly [string, number]> = [
  ['validation.accepted', 60],
  ['validation.rejected', 8],
  ['sso.signed_in', 15],
  ['sso.sign_in_failed', 3],
  ['authenticator.issued', 5],
  ['person.created', 4],
  ['recovery_code.redeemed', 1],
  ['access_pass.redeemed', 1],
  ['authenticator.lost', 1],
  ['person.deprovisioned', 2],
];
/**
 * Rows per INSERT: 18 columns (users) × 1,500 stays under SQLite's 32,766 parameters. The tally
 * triggers only append deltas (one per key per statement on PostgreSQL), so big batches are fine.
 */
const BATCH = 1_500;

/**
 * Bulk-fills people, groups, factors and audit events directly (the benchmark only: never the
 * services' way). The metrics tallies stay exact all the same: the triggers of migration 0011
 * keep them on every row written, whatever writes it.
 */
export async function fill(store: Store, people: number, auditEvents: number): Promise<void> {
  const db = store.db;
  const span = 182 * DAY;
  const user = (i: number): NewUserRow => {
    const created = NOW - span + Math.floor((i / people) * span);
    return newUserRow({
      id: `u${i}`,
      username: `user${i}`,
      status: i % 25 === 0 ? 'deprovisioned' : 'active',
      locked_until: i % 500 === 0 ? NOW + 60_000 : null,
      created_at: created,
    });
  };
  await insertBatches(store, people, BATCH, user, (d, rows) => d.insertInto('users').values(rows).execute());
  await db
    .insertInto('groups')
    .values(
      GROUPS.map((name, g) => ({
        id: `g${g}`,
        name,
        name_lower: name.toLowerCase(),
        created_at: NOW - span,
        external_id: null,
        updated_at: null,
      })),
    )
    .execute();
  await insertBatches(
    store,
    people,
    BATCH,
    (i) => ({ group_id: `g${i % GROUPS.length}`, user_id: `u${i}` }),
    (d, rows) => d.insertInto('group_members').values(rows).execute(),
  );
  const factor = (i: number): NewAuthenticatorRow => {
    const created = NOW - span + Math.floor((i / people) * span) + 600_000;
    const activated = i % 10 === 0 ? null : created + (i % 97) * 3_600_000;
    return {
      id: `a${i}`,
      user_id: `u${i}`,
      type: i % 12 === 0 ? 'hotp' : i % 20 === 0 ? 'webauthn' : 'totp',
      state: activated === null ? 'pending' : i % 33 === 0 ? 'lost' : 'active',
      name: null,
      serial: null,
      secret_enc: null,
      params: '{}',
      counter: null,
      created_at: created,
      updated_at: created,
      activated_at: activated,
      last_used_at: activated,
      expires_at: null,
      state_reason: null,
    };
  };
  await insertBatches(store, people, BATCH, factor, (d, rows) =>
    d.insertInto('authenticators').values(rows).execute(),
  );
  const weights = ACTIONS.reduce((n, [, w]) => n + w, 0);
  const actionOf = (i: number) => {
    let r = (i * 7919) % weights;
    for (const [a, w] of ACTIONS) {
      if (r < w) return a;
      r -= w;
    }
    return 'validation.accepted';
  };
  const event = (i: number): AuditEventRow => ({
    seq: i + 1,
    at: NOW - span + Math.floor((i / auditEvents) * span),
    actor: 'token:bench(validator)',
    action: actionOf(i),
    subject: `u${(i * 31) % people}`,
    source_ip: null,
    outcome: 'success',
    details: '{}',
    prev_hash: '',
    hash: '',
  });
  await insertBatches(store, auditEvents, BATCH, event, (d, rows) =>
    d.insertInto('audit_events').values(rows).execute(),
  );
  await db
    .insertInto('audit_head')
    .values({ id: 1, seq: auditEvents, hash: '', mac: '', master_kid: '' })
    .execute();
}

const p95 = (xs: number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.95,
  ) ?? 0;

/**
 * Times the dashboard snapshot (every friction query, cache bypassed) over `people` people and
 * `auditEvents` audit events on a fresh database of the dialect, created and dropped here.
 * Filling is not timed; the chain is not valid (the figures never read hashes).
 */
export async function benchDashboard(opts: {
  dialect: Dialect;
  people?: number;
  auditEvents?: number;
  runs?: number;
}): Promise<DashboardBenchResult> {
  const people = opts.people ?? 100_000;
  const auditEvents = opts.auditEvents ?? 1_000_000;
  const tdb = await createTestDatabase(opts.dialect);
  const config = loadConfig({
    DATABASE_URL: tdb.url,
    PORTCULLIS_MASTER_KEY: Buffer.alloc(32, 9).toString('base64'),
    LOG_LEVEL: 'silent',
  });
  const rt = await openRuntime(config, {
    logger: createLogger('silent'),
    clock: new ManualClock(NOW),
    migrate: true,
  });
  try {
    const f0 = performance.now();
    await fill(rt.ctx.store, people, auditEvents);
    const fillMs = performance.now() - f0;
    // What the minutely job does between a bulk import and the next dashboard view.
    const c0 = performance.now();
    const compactedRows = await rt.services.metricsCompaction.handle();
    const compactMs = performance.now() - c0;
    await rt.services.metrics.compute(NOW); // warm-up: caches and query plans
    const samples: number[] = [];
    const enrolSamples: number[] = [];
    for (let i = 0; i < (opts.runs ?? 20); i++) {
      const t0 = performance.now();
      await rt.services.metrics.compute(NOW);
      samples.push(performance.now() - t0);
      const t1 = performance.now();
      await timeToEnrol(rt.ctx.store.reader, NOW);
      enrolSamples.push(performance.now() - t1);
    }
    return {
      p95Ms: p95(samples),
      samples,
      timeToEnrolP95Ms: p95(enrolSamples),
      fillMs,
      compactMs,
      compactedRows,
    };
  } finally {
    await rt.close();
    await tdb.drop();
  }
}

// `node --import tsx bench/dashboard.ts [PEOPLE] [EVENTS] [sqlite|postgres ...]` runs it alone.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const people = Number(process.argv[2] ?? 100_000);
  const auditEvents = Number(process.argv[3] ?? 1_000_000);
  const dialects = (process.argv.slice(4) as Dialect[]).length
    ? (process.argv.slice(4) as Dialect[])
    : (['sqlite', 'postgres'] as const);
  for (const dialect of dialects) {
    const r = await benchDashboard({ dialect, people, auditEvents });
    const median =
      quantile(
        [...r.samples].sort((a, b) => a - b),
        0.5,
      ) ?? 0;
    console.log(
      `dashboard ${dialect}: ${people} people, ${auditEvents} audit events: p95 ${r.p95Ms.toFixed(1)} ms, median ${median.toFixed(1)} ms over ${r.samples.length} runs; time to enrol p95 ${r.timeToEnrolP95Ms.toFixed(1)} ms; fill ${(r.fillMs / 1000).toFixed(1)} s, compaction ${r.compactMs.toFixed(0)} ms (${r.compactedRows} deltas)`,
    );
  }
}
