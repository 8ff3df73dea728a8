import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import {
  type Child,
  freePort,
  killAllNow,
  memoryOf,
  spawnChild,
  stopAll,
  stopChild,
  tail,
  waitForHttp,
} from './children.js';
import { assertAlive, type Bench, cleanups, measure, sleep } from './context.js';
import { auditVerifyRows, dashboardRows, IN_PROCESS_GOALS, joinerWaveRow } from './in-process.js';
import { CONNECTIONS, type LoadResult } from './load.js';
import type { ServerFlavour } from './portcullis.js';
import { formatSummary, newestProfile, type ProfileSummary, summarizeProfile } from './profile-summary.js';
import { failedRow, formatTable, type Row } from './report.js';
import { VALIDATION_GOALS, validationRows } from './validation.js';

/**
 * `npm run bench`: every benchmark in one go, each figure beside a baseline measured in the
 * same run, a table on stdout and bench/results/latest.json. Exit 0 when every goal is met.
 * One file per benchmark; this one orders them and keeps the run bounded.
 *
 * Environment:
 *   BENCH_SECONDS=10         seconds per measured load run (default 10; 3 with BENCH_QUICK)
 *   BENCH_QUICK=1            smoke check: short runs, smaller data sets (about 5 minutes)
 *   BENCH_PEOPLE=2000        people with an HOTP authenticator for the accept path
 *   BENCH_SIGNIN_PEOPLE=N    people with a password and a TOTP for the sign-ins (default 1500; 400 quick)
 *   BENCH_MIXED_SECONDS=N    length of the mixed load before the RSS figure (default 300; 30 quick)
 *   BENCH_WAVE_PEOPLE=N      joiners in the joiner wave (default 100,000; 10,000 quick)
 *   BENCH_DASHBOARD_PEOPLE=N / BENCH_DASHBOARD_EVENTS=N  dashboard data (default 100,000 / 1,000,000; a tenth quick)
 *   BENCH_SERVER=dist|src    run `node dist/main.js` after `npm run build` (default) or the sources via tsx
 *   BENCH_BUILD=0            use dist/ as it is (no `npm run build` first)
 *   BENCH_POSTGRES=auto|0|1  the PostgreSQL benchmarks (auto: when PG_TEST_URL's server answers)
 *   BENCH_AUDIT_EVENTS=N     events in the audit-verify chain (default 1,000,000; 100,000 with BENCH_QUICK)
 *   BENCH_PROFILE=1          run the server under --cpu-prof and summarise the profile (figures then skewed)
 *   BENCH_TIMEOUT_SECONDS=N  hard limit for the whole run (default 2700; 1200 with BENCH_QUICK)
 *   BENCH_GROUP_COMMIT_MS=N  the server's PORTCULLIS_GROUP_COMMIT_MS (default: the server's own default)
 *   PGBENCH=path             the pgbench binary (default /usr/lib/postgresql/15/bin/pgbench, else on PATH)
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench/results');

const QUICK = process.env.BENCH_QUICK === '1';
const num = (name: string, normal: number, quick: number) =>
  Number(process.env[name] ?? (QUICK ? quick : normal));
const SECONDS = num('BENCH_SECONDS', 10, 3);
const WARMUP_SECONDS = QUICK ? 1 : 3;
const PEOPLE = num('BENCH_PEOPLE', 2_000, 2_000);
const SIGNIN_PEOPLE = num('BENCH_SIGNIN_PEOPLE', 1_500, 400);
const MIXED_SECONDS = num('BENCH_MIXED_SECONDS', 300, 30);
const WAVE_PEOPLE = num('BENCH_WAVE_PEOPLE', 100_000, 10_000);
const DASHBOARD_PEOPLE = num('BENCH_DASHBOARD_PEOPLE', 100_000, 10_000);
const DASHBOARD_EVENTS = num('BENCH_DASHBOARD_EVENTS', 1_000_000, 100_000);
const AUDIT_EVENTS = num('BENCH_AUDIT_EVENTS', 1_000_000, 100_000);
const TIMEOUT_SECONDS = num('BENCH_TIMEOUT_SECONDS', 2_700, 1_200);
const LOCKED_PEOPLE = 200;
/** Wrong codes that start a lock with the default PORTCULLIS_THROTTLE_FREE_FAILURES. */
const FAILURES_TO_LOCK = 10;
/** The first lock lasts 30 s (verification/backoff.ts): the throttled runs must end inside it. */
const LOCK_SECONDS = 30;
const FLAVOUR = (process.env.BENCH_SERVER ?? 'dist') as ServerFlavour;
const PROFILE = process.env.BENCH_PROFILE === '1';
const POSTGRES = process.env.BENCH_POSTGRES ?? 'auto';
/** Passed to the server as PORTCULLIS_GROUP_COMMIT_MS when set (to compare settings); else its default. */
const GROUP_COMMIT_MS = process.env.BENCH_GROUP_COMMIT_MS;
const SKIP_BUILD = process.env.BENCH_BUILD === '0';

const log = (msg: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

if (!Number.isFinite(SECONDS) || SECONDS < 1) throw new Error('BENCH_SECONDS must be a number ≥ 1');
if (PEOPLE < CONNECTIONS * 4) throw new Error(`BENCH_PEOPLE must be at least ${CONNECTIONS * 4}`);
if (!(SIGNIN_PEOPLE >= 50)) throw new Error('BENCH_SIGNIN_PEOPLE must be at least 50');
if (!(MIXED_SECONDS >= 5)) throw new Error('BENCH_MIXED_SECONDS must be at least 5');
if (!['dist', 'src'].includes(FLAVOUR)) throw new Error('BENCH_SERVER must be dist or src');

// Bounded run time and no orphan: a watchdog and the signals kill every child.
/** The scratch directory (database, logs), removed however the run ends. */
let workDir: string | undefined;
function abandon(why: string, code: number): void {
  log(`${why}: killing every child`);
  killAllNow();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  // The databases made for the run are dropped (10 s at most), then the process ends.
  const undo = Promise.allSettled([...cleanups].map((c) => c()));
  void Promise.race([undo, sleep(10_000)]).then(() => process.exit(code));
}
const watchdog = setTimeout(
  () => abandon(`timeout: the run took longer than ${TIMEOUT_SECONDS} s`, 3),
  TIMEOUT_SECONDS * 1000,
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => abandon(signal, 130));

/** `npm run build`, bounded; its output goes to the log file. */
async function build(logPath: string): Promise<void> {
  log('npm run build');
  const child = spawnChild('npm run build', 'npm', ['run', 'build'], {
    cwd: ROOT,
    env: process.env,
    logPath,
  });
  const timer = setTimeout(() => void stopChild(child, 2_000), 180_000);
  const code = await child.exited;
  clearTimeout(timer);
  if (code !== 0) {
    throw new Error(`npm run build failed (${code}):\n${tail(logPath)}`);
  }
}

async function postgresReachable(): Promise<boolean> {
  if (POSTGRES === '0') return false;
  const url = process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (err) {
    if (POSTGRES === '1')
      throw new Error(`BENCH_POSTGRES=1 but ${url} does not answer: ${(err as Error).message}`);
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Runs one benchmark; a failure becomes its row (and the log has the stack), the run goes on. */
async function guarded(b: Bench, figure: string, unit: string, goal: string, fn: () => Promise<void>) {
  try {
    await fn();
  } catch (err) {
    log(`${figure} failed: ${(err as Error).stack ?? err}`);
    b.rows.push(failedRow(figure, unit, goal, err));
  }
}

/**
 * Everything that needs the server over SQLite: the validation API against bare hello, then
 * client_credentials, sign-ins and the mixed load on the same seeded database.
 */
async function serverBenchmarks(b: Bench, profiles: Record<string, ProfileSummary>): Promise<void> {
  const profileDir = join(RESULTS, 'profile');
  const serverLog = join(b.work, 'server.log');
  let server: Child | undefined;
  try {
    // 1. Baseline: bare node:http "hello", before the server runs.
    const helloPort = await freePort();
    const hello = spawnChild(
      'bare hello',
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'bench/bare-hello.ts')],
      {
        cwd: ROOT,
        env: { ...process.env, PORT: String(helloPort) },
        logPath: join(b.work, 'bare-hello.log'),
      },
    );
    const helloUrl = `http://127.0.0.1:${helloPort}`;
    await waitForHttp(helloUrl, hello);
    const helloSpec = (name: string) => ({
      name,
      url: helloUrl,
      path: '/',
      method: 'GET' as const,
      seconds: SECONDS,
      expectStatus: 200,
      serverPid: hello.pid,
    });
    const before = await measure(b, helloSpec('bare hello (before)'));

    // 2. The real server over a seeded database. (Imported here: a broken src/ fails this part only.)
    const { drainJobs, HotpPeople, seedPeople, serverEnv, startServer, stopServer } = await import(
      './portcullis.js'
    );
    const { TotpPeople, benchSignIn } = await import('./sign-in.js');
    const port = await freePort();
    const env = serverEnv({ dir: b.work, port });
    if (GROUP_COMMIT_MS !== undefined) env.PORTCULLIS_GROUP_COMMIT_MS = GROUP_COMMIT_MS;
    log(`seeding ${PEOPLE} + ${SIGNIN_PEOPLE} people, the API tokens and two clients (in process)`);
    const seeded = await seedPeople(env, PEOPLE, SIGNIN_PEOPLE);
    if (PROFILE) rmSync(profileDir, { recursive: true, force: true });
    // One server per phase when profiling, so each profile holds that phase's load only; otherwise
    // one server for the loads (seeding the authenticators always runs on a server of its own).
    const launch = async (phase: string, profiled: boolean): Promise<{ url: string; pid: number }> => {
      log(`starting the server for ${phase} (${FLAVOUR})${profiled ? ' under --cpu-prof' : ''}`);
      const s = await startServer({
        cwd: ROOT,
        env,
        flavour: FLAVOUR,
        logPath: serverLog,
        cpuProfDir: profiled ? join(profileDir, phase) : undefined,
      });
      server = s.child;
      return { url: s.url, pid: s.child.pid };
    };
    const finish = async (phase: string, profiled: boolean): Promise<void> => {
      if (server) await stopServer(server);
      server = undefined;
      if (!profiled) return;
      const file = newestProfile(join(profileDir, phase));
      if (!file) {
        b.notes.push(`no CPU profile was written for ${phase}`);
        return;
      }
      profiles[phase] = summarizeProfile(file);
      process.stderr.write(`\n[${phase}] ${formatSummary(profiles[phase]!)}\n\n`);
    };

    const setup = await launch('setup', false);
    log(`issuing ${PEOPLE} HOTP and ${SIGNIN_PEOPLE} TOTP authenticators through the admin API`);
    const people = await HotpPeople.issue(setup.url, seeded);
    const totpPeople = await TotpPeople.issue(setup.url, seeded);
    const due = await drainJobs(env);
    log(`the setup's ${due} due jobs (invitations, notices) are done`);
    await finish('setup', false);

    // 3. Validation accept path: fresh, right codes.
    let s = await launch('accept', PROFILE);
    const accept = await measure(b, { ...people.acceptSpec('validate accept', SECONDS), serverPid: s.pid });
    assertAlive(server, 'the accept run');
    await sleep(1_000); // answers abandoned at the end of a run have been processed by now
    people.releaseAll();
    if (PROFILE) await finish('accept', true);

    // 4. Throttled path: lock 200 people, then flood them.
    if (PROFILE) s = await launch('lock', false);
    log(`locking ${LOCKED_PEOPLE} people (${FAILURES_TO_LOCK} wrong codes each)`);
    const lock = await people.lock(LOCKED_PEOPLE, FAILURES_TO_LOCK);
    if (PROFILE) {
      await finish('lock', false);
      s = await launch('throttled', true);
    }
    const lockLeft = LOCK_SECONDS - (Date.now() - lock.lockedAt) / 1000 - 3;
    const throttledWarmup = Math.min(WARMUP_SECONDS, 2);
    const throttledSeconds = Math.max(1, Math.min(SECONDS, Math.floor(lockLeft - throttledWarmup - 1)));
    if (throttledSeconds < SECONDS) {
      b.notes.push(
        `throttled run shortened to ${throttledSeconds} s to end inside the ${LOCK_SECONDS} s lock`,
      );
    }
    const throttled = await measure(
      b,
      {
        ...people.throttledSpec('validate throttled (429)', throttledSeconds, LOCKED_PEOPLE),
        serverPid: s.pid,
      },
      throttledWarmup,
    );
    assertAlive(server, 'the throttled run');

    // 5. Server memory after the validation loads.
    const rss = memoryOf(s.pid);
    b.extra.rss = rss;
    log(`server RSS ${rss.rssMb.toFixed(1)} MB (peak ${rss.peakRssMb.toFixed(1)} MB)`);
    if (PROFILE)
      b.notes.push(
        'RSS is of the server that ran the throttled load only (one server per phase when profiling)',
      );

    // 6. Baseline again, after: the mean of both is the comparison point.
    const after = await measure(b, helloSpec('bare hello (after)'));
    await stopChild(hello);
    validationRows(b, { before, after, accept, throttled, lockProblems: lock.problems, rss });
    await sleep(1_000);
    people.releaseAll();

    // 7. client_credentials and sign-ins, same server (the locked people are not used again).
    if (PROFILE) {
      await finish('throttled', true);
      s = await launch('sso', true);
    }
    const { benchClientCredentials, CLIENT_CREDENTIALS_GOAL } = await import('./client-credentials.js');
    await guarded(b, 'client_credentials tokens (opaque)', 'tokens/s', `≥ ${CLIENT_CREDENTIALS_GOAL}×`, () =>
      benchClientCredentials(b, s, seeded.serviceClient),
    );
    await guarded(b, 'sign-in, password + TOTP, per core', 'sign-ins/s/core', '≥ 0.65×', () =>
      benchSignIn(b, s, seeded.webClient, totpPeople),
    );
    await finish(PROFILE ? 'sso' : 'throttled', PROFILE);

    // 8. RSS after a long mixed load, on a fresh server over the same database.
    const { benchMixedLoad, MIXED_RSS_GOAL_MB } = await import('./mixed-load.js');
    await guarded(
      b,
      `server RSS after ${MIXED_SECONDS} s mixed load`,
      'MB',
      `≤ ${MIXED_RSS_GOAL_MB} MB`,
      async () => {
        await sleep(1_000);
        people.releaseAll();
        const m = await launch('mixed', false);
        await benchMixedLoad(b, m, seeded, people, totpPeople, MIXED_SECONDS);
        assertAlive(server, 'the mixed load');
        await finish('mixed', false);
      },
    );
  } finally {
    await stopAll();
    // The server's own log (warnings and errors only), kept for a look after the run.
    if (existsSync(serverLog)) copyFileSync(serverLog, join(RESULTS, 'server.log'));
  }
}

async function main(): Promise<number> {
  const started = new Date();
  const loadBefore = loadavg()[0]!;
  mkdirSync(RESULTS, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  workDir = work;
  const rows: Row[] = [];
  const b: Bench = {
    root: ROOT,
    work,
    quick: QUICK,
    seconds: SECONDS,
    warmupSeconds: WARMUP_SECONDS,
    flavour: FLAVOUR,
    groupCommitMs: GROUP_COMMIT_MS,
    rows,
    notes: [],
    runs: {} as Record<string, LoadResult>,
    extra: {},
    log,
  };
  const profiles: Record<string, ProfileSummary> = {};
  log(
    `quick=${QUICK} seconds=${SECONDS} warmup=${WARMUP_SECONDS} people=${PEOPLE} sign-in people=${SIGNIN_PEOPLE} ` +
      `mixed=${MIXED_SECONDS}s connections=${CONNECTIONS} server=${FLAVOUR} profile=${PROFILE} cpus=${cpus().length} work=${work}`,
  );
  let built = true;
  if (FLAVOUR === 'dist' && SKIP_BUILD)
    b.notes.push('BENCH_BUILD=0: ran dist/ as it was, without `npm run build`');
  else if (FLAVOUR === 'dist') {
    try {
      await build(join(work, 'build.log'));
    } catch (err) {
      built = false;
      rows.push(failedRow('npm run build', '', 'builds', err));
    }
  }

  // 1. Everything against the server over SQLite.
  if (built) await guarded(b, 'load benchmarks', '', 'run', () => serverBenchmarks(b, profiles));

  // 2. PostgreSQL: validation vs pgbench, and one vs two instances.
  const dialects: Array<'sqlite' | 'postgres'> = ['sqlite'];
  try {
    if (await postgresReachable()) dialects.push('postgres');
    else b.notes.push('PostgreSQL benchmarks skipped (no server at PG_TEST_URL, or BENCH_POSTGRES=0)');
  } catch (err) {
    b.notes.push((err as Error).message);
  }
  if (built && dialects.includes('postgres')) {
    const { benchPostgres, PG_VALIDATE_GOAL } = await import('./postgres.js');
    await guarded(b, 'validate accept, PostgreSQL', 'accepts/s', `≥ ${PG_VALIDATE_GOAL}× pgbench`, () =>
      benchPostgres(b, QUICK ? CONNECTIONS * 5 : Math.min(PEOPLE, 1_000)),
    );
    await stopAll();
  }

  // 3. In this process, no server running: the CPU is all theirs.
  await auditVerifyRows(b, dialects, AUDIT_EVENTS);
  await joinerWaveRow(b, WAVE_PEOPLE);
  await dashboardRows(b, dialects, DASHBOARD_PEOPLE, DASHBOARD_EVENTS);
  rmSync(work, { recursive: true, force: true });

  const loadAfter = loadavg()[0]!;
  if (Math.max(loadBefore, loadAfter) > cpus().length) {
    b.notes.push(
      `the machine was busy with other work (load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)} on ${cpus().length} CPUs): figures are noisy`,
    );
  }
  const ok = rows.every((r) => r.pass !== false);
  const report = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    ok,
    settings: {
      quick: QUICK,
      secondsPerRun: SECONDS,
      warmupSeconds: WARMUP_SECONDS,
      connections: CONNECTIONS,
      pipelining: 1,
      people: PEOPLE,
      signInPeople: SIGNIN_PEOPLE,
      lockedPeople: LOCKED_PEOPLE,
      mixedSeconds: MIXED_SECONDS,
      wavePeople: WAVE_PEOPLE,
      dashboard: { people: DASHBOARD_PEOPLE, auditEvents: DASHBOARD_EVENTS },
      auditEvents: AUDIT_EVENTS,
      server: FLAVOUR,
      profiled: PROFILE,
      groupCommitMs: GROUP_COMMIT_MS ?? 'server default',
    },
    machine: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      loadAverage: { before: loadBefore, after: loadAfter },
    },
    goals: { ...VALIDATION_GOALS, ...IN_PROCESS_GOALS },
    rows,
    notes: b.notes,
    runs: b.runs,
    ...b.extra,
    profiles,
  };
  writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\n${formatTable(rows)}\n`);
  for (const n of b.notes) process.stdout.write(`note: ${n}\n`);
  if (PROFILE)
    process.stdout.write('note: the server ran under --cpu-prof: figures are lower than unprofiled\n');
  process.stdout.write(
    `\n${ok ? 'all goals met' : 'SOME GOALS NOT MET'}; details in ${relative(process.cwd(), join(RESULTS, 'latest.json'))}\n`,
  );
  return ok ? 0 : 1;
}

main()
  .then((code) => {
    process.exitCode = code;
  })
  .catch(async (err) => {
    log(`failed: ${(err as Error).stack ?? err}`);
    await stopAll(2_000);
    process.exitCode = 2;
  })
  .finally(() => {
    killAllNow();
    clearTimeout(watchdog);
  });
