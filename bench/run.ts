import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { AuditVerifyResult } from './audit-verify.js';
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
import { CONNECTIONS, describeRun, type LoadResult, type LoadSpec, runLoad } from './load.js';
import type { ServerFlavour } from './portcullis.js';
import { formatSummary, newestProfile, type ProfileSummary, summarizeProfile } from './profile-summary.js';

/**
 * `npm run bench`: every benchmark in one go, each figure beside a baseline measured in the
 * same run, a table on stdout and bench/results/latest.json. Exit 0 when every goal is met.
 *
 * Environment:
 *   BENCH_SECONDS=10         seconds per measured load run (default 10; 3 with BENCH_QUICK)
 *   BENCH_QUICK=1            smoke check: short runs, 100k audit events
 *   BENCH_PEOPLE=2000        people with an HOTP authenticator for the accept path
 *   BENCH_SERVER=dist|src    run `node dist/main.js` after `npm run build` (default) or the sources via tsx
 *   BENCH_BUILD=0            use dist/ as it is (no `npm run build` first)
 *   BENCH_POSTGRES=auto|0|1  audit verify on PostgreSQL too (auto: when PG_TEST_URL's server answers)
 *   BENCH_AUDIT_EVENTS=N     events in the audit-verify chain (default 1,000,000; 100,000 with BENCH_QUICK)
 *   BENCH_PROFILE=1          run the server under --cpu-prof and summarise the profile (figures then skewed)
 *   BENCH_TIMEOUT_SECONDS=N  hard limit for the whole run (default 900)
 *   BENCH_GROUP_COMMIT_MS=N  the server's PORTCULLIS_GROUP_COMMIT_MS (default: the server's own default)
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench/results');

const QUICK = process.env.BENCH_QUICK === '1';
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 3 : 10));
const WARMUP_SECONDS = QUICK ? 1 : 3;
const PEOPLE = Number(process.env.BENCH_PEOPLE ?? 2_000);
const LOCKED_PEOPLE = 200;
/** Wrong codes that start a lock with the default PORTCULLIS_THROTTLE_FREE_FAILURES. */
const FAILURES_TO_LOCK = 10;
/** The first lock lasts 30 s (verification/backoff.ts): the throttled runs must end inside it. */
const LOCK_SECONDS = 30;
const AUDIT_EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? (QUICK ? 100_000 : 1_000_000));
const FLAVOUR = (process.env.BENCH_SERVER ?? 'dist') as ServerFlavour;
const PROFILE = process.env.BENCH_PROFILE === '1';
const POSTGRES = process.env.BENCH_POSTGRES ?? 'auto';
const TIMEOUT_SECONDS = Number(process.env.BENCH_TIMEOUT_SECONDS ?? 900);
/** Passed to the server as PORTCULLIS_GROUP_COMMIT_MS when set (to compare settings); else its default. */
const GROUP_COMMIT_MS = process.env.BENCH_GROUP_COMMIT_MS;
const SKIP_BUILD = process.env.BENCH_BUILD === '0';

const GOALS = {
  acceptRatio: 0.4,
  throttledRatio: 0.5,
  /** Share of the accept path's answers that must be `accept` (every code sent is fresh and right). */
  acceptShare: 0.999,
  throttledShare: 0.999,
  rssMb: 250,
  auditEventsPerSecond: 200_000,
};

interface Row {
  figure: string;
  value: number | null;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  goal: string;
  pass: boolean | null;
  note?: string;
}

const rows: Row[] = [];
const runs: Record<string, LoadResult> = {};
const log = (msg: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

if (!Number.isFinite(SECONDS) || SECONDS < 1) throw new Error('BENCH_SECONDS must be a number ≥ 1');
if (PEOPLE < CONNECTIONS * 4) throw new Error(`BENCH_PEOPLE must be at least ${CONNECTIONS * 4}`);
if (!['dist', 'src'].includes(FLAVOUR)) throw new Error('BENCH_SERVER must be dist or src');

// Bounded run time and no orphan: a watchdog and the signals kill every child.
/** The scratch directory (database, logs), removed however the run ends. */
let workDir: string | undefined;
function abandon(why: string, code: number): never {
  log(`${why}: killing every child`);
  killAllNow();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  process.exit(code);
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Throws, with the end of its log, when a child died. */
function assertAlive(child: Child | undefined, during: string): void {
  if (!child || child.hasExited()) {
    throw new Error(
      `${child?.name ?? 'the server'} exited during ${during}:\n${child ? tail(child.logPath) : ''}`,
    );
  }
}

/** A short run to warm the JIT (discarded), then the measured one. */
async function measure(spec: LoadSpec, warmup = WARMUP_SECONDS): Promise<LoadResult> {
  const w = await runLoad({ ...spec, name: `${spec.name} (warm-up)`, seconds: warmup });
  log(describeRun(w));
  await sleep(300);
  const r = await runLoad(spec);
  log(describeRun(r));
  runs[spec.name] = r;
  return r;
}

async function bareHelloRun(url: string, name: string, serverPid: number): Promise<LoadResult> {
  return measure({ name, url, path: '/', method: 'GET', seconds: SECONDS, expectStatus: 200, serverPid });
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

type AuditBench = (opts: { dialect: 'sqlite' | 'postgres'; events: number }) => Promise<AuditVerifyResult>;

/**
 * HOOK: bench/audit-verify.ts (written separately) exports `benchAuditVerify`. Loaded lazily so
 * that the load benchmarks still run, and the row says why, when that module is missing or broken.
 */
async function loadAuditBench(): Promise<AuditBench | string> {
  try {
    const mod = (await import('./audit-verify.js')) as { benchAuditVerify?: AuditBench };
    return mod.benchAuditVerify ?? 'bench/audit-verify.ts exports no benchAuditVerify';
  } catch (err) {
    return `bench/audit-verify.ts could not be loaded: ${(err as Error).message}`;
  }
}

function loadProblems(...rs: LoadResult[]): string[] {
  return rs.flatMap((r) => r.problems.map((p) => `${r.name}: ${p}`));
}

async function main(): Promise<number> {
  const started = new Date();
  const loadBefore = loadavg()[0]!;
  mkdirSync(RESULTS, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  workDir = work;
  const profileDir = join(RESULTS, 'profile');
  const serverLog = join(work, 'server.log');
  let server: Child | undefined;
  const profiles: Record<string, ProfileSummary> = {};
  let rss: { rssMb: number; peakRssMb: number } | undefined;
  const notes: string[] = [];
  try {
    log(
      `quick=${QUICK} seconds=${SECONDS} warmup=${WARMUP_SECONDS} people=${PEOPLE} connections=${CONNECTIONS} ` +
        `server=${FLAVOUR} profile=${PROFILE} cpus=${cpus().length} work=${work}`,
    );
    if (FLAVOUR === 'dist' && SKIP_BUILD)
      notes.push('BENCH_BUILD=0: ran dist/ as it was, without `npm run build`');
    else if (FLAVOUR === 'dist') await build(join(work, 'build.log'));

    // 1. Baseline: bare node:http "hello", before the server runs.
    const helloPort = await freePort();
    const hello = spawnChild(
      'bare hello',
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'bench/bare-hello.ts')],
      {
        cwd: ROOT,
        env: { ...process.env, PORT: String(helloPort) },
        logPath: join(work, 'bare-hello.log'),
      },
    );
    const helloUrl = `http://127.0.0.1:${helloPort}`;
    await waitForHttp(helloUrl, hello);
    const before = await bareHelloRun(helloUrl, 'bare hello (before)', hello.pid);

    // 2. The real server over a seeded database. (Imported here: a broken src/ fails this part only.)
    const { HotpPeople, seedPeople, serverEnv, startServer, stopServer } = await import('./portcullis.js');
    const port = await freePort();
    const env = serverEnv({ dir: work, port });
    if (GROUP_COMMIT_MS !== undefined) env.PORTCULLIS_GROUP_COMMIT_MS = GROUP_COMMIT_MS;
    log(`seeding ${PEOPLE} people and the API tokens (in process)`);
    const seeded = await seedPeople(env, PEOPLE);
    if (PROFILE) rmSync(profileDir, { recursive: true, force: true });
    // One server per phase when profiling, so each profile holds that phase's load only; otherwise
    // one server for the loads (seeding the authenticators always runs on a server of its own).
    const launch = async (phase: string, profiled: boolean): Promise<string> => {
      log(`starting the server for ${phase} (${FLAVOUR})${profiled ? ' under --cpu-prof' : ''}`);
      const s = await startServer({
        cwd: ROOT,
        env,
        flavour: FLAVOUR,
        logPath: serverLog,
        cpuProfDir: profiled ? join(profileDir, phase) : undefined,
      });
      server = s.child;
      return s.url;
    };
    const finish = async (phase: string, profiled: boolean): Promise<void> => {
      if (server) await stopServer(server);
      server = undefined;
      if (!profiled) return;
      const file = newestProfile(join(profileDir, phase));
      if (!file) {
        notes.push(`no CPU profile was written for ${phase}`);
        return;
      }
      profiles[phase] = summarizeProfile(file);
      process.stderr.write(`\n[${phase}] ${formatSummary(profiles[phase]!)}\n\n`);
    };

    const setupUrl = await launch('setup', false);
    log(`issuing ${PEOPLE} HOTP authenticators through the admin API`);
    const people = await HotpPeople.issue(setupUrl, seeded);
    await finish('setup', false);

    // 3. Validation accept path: fresh, right codes.
    await launch('accept', PROFILE);
    const accept = await measure({
      ...people.acceptSpec('validate accept', SECONDS),
      serverPid: server!.pid,
    });
    assertAlive(server, 'the accept run');
    await sleep(1_000); // answers abandoned at the end of a run have been processed by now
    people.releaseAll();
    if (PROFILE) await finish('accept', true);

    // 4. Throttled path: lock 200 people, then flood them.
    if (PROFILE) await launch('lock', false);
    log(`locking ${LOCKED_PEOPLE} people (${FAILURES_TO_LOCK} wrong codes each)`);
    const lock = await people.lock(LOCKED_PEOPLE, FAILURES_TO_LOCK);
    if (PROFILE) {
      await finish('lock', false);
      await launch('throttled', true);
    }
    const lockLeft = LOCK_SECONDS - (Date.now() - lock.lockedAt) / 1000 - 3;
    const throttledWarmup = Math.min(WARMUP_SECONDS, 2);
    const throttledSeconds = Math.max(1, Math.min(SECONDS, Math.floor(lockLeft - throttledWarmup - 1)));
    if (throttledSeconds < SECONDS) {
      notes.push(`throttled run shortened to ${throttledSeconds} s to end inside the ${LOCK_SECONDS} s lock`);
    }
    const throttled = await measure(
      {
        ...people.throttledSpec('validate throttled (429)', throttledSeconds, LOCKED_PEOPLE),
        serverPid: server!.pid,
      },
      throttledWarmup,
    );

    assertAlive(server, 'the throttled run');

    // 5. Server memory after the loads.
    rss = memoryOf(server!.pid);
    log(`server RSS ${rss.rssMb.toFixed(1)} MB (peak ${rss.peakRssMb.toFixed(1)} MB)`);
    if (PROFILE)
      notes.push(
        'RSS is of the server that ran the throttled load only (one server per phase when profiling)',
      );

    // 6. Baseline again, after: the mean of both is the comparison point.
    const after = await bareHelloRun(helloUrl, 'bare hello (after)', hello.pid);
    await stopChild(hello);
    await finish('throttled', PROFILE);

    const baseline = (before.goodPerSec + after.goodPerSec) / 2;
    const spread = Math.abs(before.goodPerSec - after.goodPerSec) / baseline;
    if (spread > 0.15)
      notes.push(`bare hello varied by ${(spread * 100).toFixed(0)}% between before and after`);
    for (const r of [before, after, accept, throttled]) {
      if (r.driverCpuPercent >= 90) {
        notes.push(`${r.name}: the load driver used ${r.driverCpuPercent}% of a core (it may be the limit)`);
      }
    }
    const helloProblems = loadProblems(before, after);
    rows.push({
      figure: 'bare node:http hello (baseline)',
      value: baseline,
      unit: 'req/s',
      baseline: null,
      ratio: null,
      goal: 'clean run',
      pass: helloProblems.length === 0,
      note: `before ${Math.round(before.goodPerSec)}, after ${Math.round(after.goodPerSec)}; ${serverCpu(before)}${helloProblems.length ? `; ${helloProblems.join('; ')}` : ''}`,
    });
    const acceptProblems = loadProblems(accept);
    rows.push({
      figure: 'validate accept (fresh HOTP codes)',
      value: accept.goodPerSec,
      unit: 'accepts/s',
      baseline,
      ratio: accept.goodPerSec / baseline,
      goal: `≥ ${GOALS.acceptRatio}× hello, clean`,
      pass: accept.goodPerSec / baseline >= GOALS.acceptRatio && accept.errors === 0 && accept.timeouts === 0,
      note: `all answers ${Math.round(accept.reqPerSec)} req/s, p50 ${accept.latencyMs.p50} ms, p99 ${accept.latencyMs.p99} ms, ${serverCpu(accept)}${acceptProblems.length ? `; ${acceptProblems.join('; ')}` : ''}`,
    });
    rows.push({
      figure: 'validate accept: share accepted',
      value: accept.goodShare * 100,
      unit: '%',
      baseline: null,
      ratio: null,
      goal: `≥ ${GOALS.acceptShare * 100}%`,
      pass: accept.goodShare >= GOALS.acceptShare,
      note: Object.entries(accept.byOutcome)
        .map(([o, n]) => `${o} ${n}`)
        .join(', '),
    });
    const throttledProblems = [...lock.problems, ...loadProblems(throttled)];
    rows.push({
      figure: 'validate throttled (429)',
      value: throttled.goodPerSec,
      unit: '429/s',
      baseline,
      ratio: throttled.goodPerSec / baseline,
      goal: `≥ ${GOALS.throttledRatio}× hello, clean`,
      pass:
        throttled.goodPerSec / baseline >= GOALS.throttledRatio &&
        throttled.goodShare >= GOALS.throttledShare &&
        throttled.errors === 0 &&
        throttled.timeouts === 0 &&
        lock.problems.length === 0,
      note: `${(throttled.goodShare * 100).toFixed(2)}% 429 with Retry-After, p99 ${throttled.latencyMs.p99} ms, ${serverCpu(throttled)}${throttledProblems.length ? `; ${throttledProblems.join('; ')}` : ''}`,
    });
    rows.push({
      figure: 'server RSS after the loads',
      value: rss.rssMb,
      unit: 'MB',
      baseline: null,
      ratio: null,
      goal: `≤ ${GOALS.rssMb} MB`,
      pass: rss.rssMb <= GOALS.rssMb,
      note: `peak (VmHWM) ${rss.peakRssMb.toFixed(1)} MB`,
    });
  } catch (err) {
    log(`load benchmarks failed: ${(err as Error).stack ?? err}`);
    rows.push({
      figure: 'load benchmarks',
      value: null,
      unit: '',
      baseline: null,
      ratio: null,
      goal: 'run',
      pass: false,
      note: oneLine((err as Error).message),
    });
  } finally {
    await stopAll();
    // The server's own log (warnings and errors only), kept for a look after the run.
    if (existsSync(serverLog)) copyFileSync(serverLog, join(RESULTS, 'server.log'));
  }

  // 7. Audit verify (no server running: the CPU is all its own).
  const auditBench = await loadAuditBench();
  const dialects: Array<'sqlite' | 'postgres'> = ['sqlite'];
  try {
    if (await postgresReachable()) dialects.push('postgres');
    else notes.push('audit verify on PostgreSQL skipped (no server at PG_TEST_URL, or BENCH_POSTGRES=0)');
  } catch (err) {
    notes.push((err as Error).message);
  }
  for (const dialect of dialects) {
    const figure = `audit verify, ${dialect}`;
    if (typeof auditBench === 'string') {
      rows.push({
        figure,
        value: null,
        unit: 'events/s',
        baseline: null,
        ratio: null,
        goal: '≥ 200,000/s',
        pass: false,
        note: auditBench,
      });
      continue;
    }
    try {
      log(`audit verify ${dialect}: ${AUDIT_EVENTS} events (filling the chain is not timed)`);
      const r = await auditBench({ dialect, events: AUDIT_EVENTS });
      log(`audit verify ${dialect}: ${r.events} events in ${r.seconds.toFixed(2)} s`);
      rows.push({
        figure,
        value: r.eventsPerSecond,
        unit: 'events/s',
        baseline: null,
        ratio: null,
        goal: `≥ ${GOALS.auditEventsPerSecond.toLocaleString('en')}/s`,
        pass: r.eventsPerSecond >= GOALS.auditEventsPerSecond,
        note: `${r.events.toLocaleString('en')} events in ${r.seconds.toFixed(2)} s`,
      });
    } catch (err) {
      rows.push({
        figure,
        value: null,
        unit: 'events/s',
        baseline: null,
        ratio: null,
        goal: `≥ ${GOALS.auditEventsPerSecond.toLocaleString('en')}/s`,
        pass: false,
        note: oneLine((err as Error).message),
      });
    }
  }
  rmSync(work, { recursive: true, force: true });

  const loadAfter = loadavg()[0]!;
  if (Math.max(loadBefore, loadAfter) > cpus().length) {
    notes.push(
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
      lockedPeople: LOCKED_PEOPLE,
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
    goals: GOALS,
    rows,
    notes,
    runs,
    rss,
    profiles,
  };
  writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\n${formatTable(rows)}\n`);
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
  if (PROFILE)
    process.stdout.write('note: the server ran under --cpu-prof: figures are lower than unprofiled\n');
  process.stdout.write(
    `\n${ok ? 'all goals met' : 'SOME GOALS NOT MET'}; details in ${relative(process.cwd(), join(RESULTS, 'latest.json'))}\n`,
  );
  return ok ? 0 : 1;
}

/** The server's CPU during a run: share of one core and CPU time per answer. */
function serverCpu(r: LoadResult): string {
  if (r.serverCpuPercent === null || r.responses === 0) return 'server CPU unknown';
  const msPerAnswer = ((r.serverCpuPercent / 100) * r.seconds * 1000) / r.responses;
  return (
    `server CPU ${r.serverCpuPercent}% of a core = ${msPerAnswer.toFixed(3)} ms per answer, ` +
    `runnable but waiting for a CPU ${r.serverRunQueuePercent}% of the run`
  );
}

/** A multi-line message as one line for the table, capped. */
function oneLine(text: string, max = 400): string {
  const flat = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' | ');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

function fmt(n: number | null, unit = ''): string {
  if (n === null) return '—';
  if (unit === '%') return `${n.toFixed(2)}%`;
  if (unit === 'MB') return `${n.toFixed(1)} MB`;
  return `${Math.round(n).toLocaleString('en')}${unit ? ` ${unit}` : ''}`;
}

function formatTable(rs: Row[]): string {
  const table = [
    ['figure', 'value', 'baseline (hello)', 'ratio', 'goal', 'result'],
    ...rs.map((r) => [
      r.figure,
      fmt(r.value, r.unit),
      r.baseline === null ? '—' : fmt(r.baseline, 'req/s'),
      r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×`,
      r.goal,
      r.pass === null ? '—' : r.pass ? 'PASS' : 'FAIL',
    ]),
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ');
  const out = [line(table[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...table.slice(1).map(line)];
  const notes = rs.filter((r) => r.note).map((r) => `  ${r.figure}: ${r.note}`);
  return [...out, '', ...notes].join('\n');
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
