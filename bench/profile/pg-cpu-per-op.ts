import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { createTestDatabase } from '../../test/support/databases.js';
import { cpuSecondsOf, schedOf, freePort } from '../children.js';
import { HotpPeople, pool, seedPeople, serverEnv, startServer, stopServer } from '../portcullis.js';
import { validateAcceptOp } from './validate-accept.js';

/**
 * Validate accepts on PostgreSQL, per accept: the server's CPU (process and main thread), the
 * CPU of the database's backends serving it, and the queries the server sent (by SQL text,
 * through bench/profile/pg-query-probe.mjs). Unlike throughput, these stay meaningful on a busy,
 * shared machine.
 *
 *   npx tsx bench/profile/pg-cpu-per-op.ts     (PG_OPS=3000 accepts, PG_CONNECTIONS=64 at once, PG_PEOPLE=400)
 */

const ROOT = resolve(import.meta.dirname, '../..');
const OPS = Number(process.env.PG_OPS ?? 3000);
const CONNECTIONS = Number(process.env.PG_CONNECTIONS ?? 64);
const PEOPLE = Number(process.env.PG_PEOPLE ?? 400);
const ADMIN_URL = process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** CPU seconds of the backends connected to `database` (the server's pool), from /proc. */
async function backendCpu(admin: pg.Client, database: string): Promise<number> {
  const r = await admin.query<{ pid: number }>(
    'select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
    [database],
  );
  let seconds = 0;
  for (const { pid } of r.rows) {
    try {
      seconds += cpuSecondsOf(pid);
    } catch {
      // ended meanwhile
    }
  }
  return seconds;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-pg-cpu-'));
  const tdb = await createTestDatabase('postgres');
  const database = new URL(tdb.url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const jobs = new pg.Client({ connectionString: tdb.url });
  await jobs.connect();
  try {
    const env = serverEnv({ dir, port: await freePort(), databaseUrl: tdb.url });
    const seeded = await seedPeople(env, PEOPLE);
    const probeOut = join(dir, 'queries.json');
    const server = await startServer({
      cwd: ROOT,
      env: {
        ...env,
        NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --import=${join(ROOT, 'bench/profile/pg-query-probe.mjs')}`,
        PG_PROBE_OUT: probeOut,
      },
      flavour: (process.env.BENCH_SERVER ?? 'src') as 'src' | 'dist',
      logPath: join(dir, 'server.log'),
    });
    const pid = server.child.pid;
    const people = await HotpPeople.issue(server.url, seeded);
    const problems: string[] = [];
    const accept = validateAcceptOp(people, (outcome) => problems.push(outcome));
    const queries = async () => {
      process.kill(pid, 'SIGUSR2');
      await new Promise((r) => setTimeout(r, 300));
      return JSON.parse(readFileSync(probeOut, 'utf8')) as { total: number; counts: Array<[string, number]> };
    };
    // The issuing queued a notice per person: let the job worker send them before measuring.
    for (const t0 = Date.now(); Date.now() - t0 < 180_000; ) {
      const r = await jobs.query<{ n: string }>(
        `select count(*) as n from jobs where state in ('queued', 'running')`,
      );
      if (Number(r.rows[0]?.n) === 0) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const idx = (n: number) => Array.from({ length: n }, (_, i) => i);
    await pool(idx(500), CONNECTIONS, accept);
    const q0 = await queries();
    const cpu0 = cpuSecondsOf(pid);
    const main0 = schedOf(pid).onCpu;
    const pg0 = await backendCpu(admin, database);
    const t0 = performance.now();
    await pool(idx(OPS), CONNECTIONS, accept);
    const wall = (performance.now() - t0) / 1000;
    const cpu = cpuSecondsOf(pid) - cpu0;
    const mainCpu = schedOf(pid).onCpu - main0;
    const pgCpu = (await backendCpu(admin, database)) - pg0;
    const q1 = await queries();
    await stopServer(server.child);

    const us = (s: number) => ((s * 1e6) / OPS).toFixed(0);
    const before = new Map(q0.counts);
    process.stdout.write(
      `${OPS} accepts, ${CONNECTIONS} at once (${(OPS / wall).toFixed(0)}/s on this machine now), per accept: ` +
        `server CPU ${us(cpu)} µs (main thread ${us(mainCpu)} µs), PostgreSQL backends ${us(pgCpu)} µs, ` +
        `${((q1.total - q0.total) / OPS).toFixed(2)} queries; not accepted: ${problems.length}\n`,
    );
    for (const [text, n] of q1.counts) {
      const per = (n - (before.get(text) ?? 0)) / OPS;
      if (per >= 0.01) process.stdout.write(`  ${per.toFixed(3)}  ${text}\n`);
    }
  } finally {
    await admin.end();
    await jobs.end();
    await tdb.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
