import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../test/support/databases.js';
import { type Child, freePort, spawnChild, stopChild, tail } from './children.js';
import { assertAlive, type Bench, cleanups, logPath, measure, sleep } from './context.js';
import { describeRun, runLoad } from './load.js';
import { HotpPeople, seedPeople, serverEnv, startServer, stopServer } from './portcullis.js';
import { loadProblems, problemsSuffix, serverCpu } from './report.js';

export const PG_VALIDATE_GOAL = 0.5;
const PGBENCH_CLIENTS = 16;
/** Rows of the pgbench table: small, so the updates are hot-row work like a validation's. */
const PGBENCH_ROWS = 1_000;

function pgbenchPath(): string {
  if (process.env.PGBENCH) return process.env.PGBENCH;
  const debian = '/usr/lib/postgresql/15/bin/pgbench';
  return existsSync(debian) ? debian : 'pgbench';
}

/** `pgbench` single-row UPDATE tps at 16 clients over a small table, on a database of its own. */
async function pgbench(b: Bench, seconds: number, tdb: TestDatabase, name: string): Promise<number> {
  const script = join(b.work, 'pgbench-update.sql');
  writeFileSync(script, `\\set id random(1, ${PGBENCH_ROWS})\nUPDATE t SET n = n + 1 WHERE id = :id;\n`);
  const log = logPath(b, name.replace(/\W+/g, '-'));
  const child = spawnChild(
    name,
    pgbenchPath(),
    ['-n', '-c', String(PGBENCH_CLIENTS), '-j', '2', '-T', String(seconds), '-f', script, tdb.url],
    { cwd: b.work, env: process.env, logPath: log },
  );
  const code = await child.exited;
  const out = readFileSync(log, 'utf8');
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out);
  if (code !== 0 || !tps) throw new Error(`pgbench failed (${code}):\n${tail(log)}`);
  b.log(`${name}: ${Number(tps[1]).toFixed(0)} tps`);
  return Number(tps[1]);
}

/**
 * Validation on PostgreSQL (a fresh database, dropped after) against pgbench's single-row UPDATE
 * at 16 clients, same run; then the same load spread over two instances on the same database
 * (the scale-out figure of docs/scaling.md).
 */
export async function benchPostgres(b: Bench, people: number): Promise<void> {
  const tdb = await createTestDatabase('postgres');
  cleanups.add(tdb.drop);
  const benchDb = await createTestDatabase('postgres');
  cleanups.add(benchDb.drop);
  const servers: Child[] = [];
  try {
    const ports = [await freePort(), await freePort()];
    const env = serverEnv({ dir: b.work, port: ports[0]!, databaseUrl: tdb.url });
    if (b.groupCommitMs !== undefined) env.PORTCULLIS_GROUP_COMMIT_MS = b.groupCommitMs;
    b.log(`PostgreSQL: seeding ${people} people`);
    const seeded = await seedPeople(env, people);
    const start = async (port: number) => {
      const s = await startServer({
        cwd: b.root,
        env: { ...env, PORT: String(port) },
        flavour: b.flavour,
        logPath: logPath(b, `server-pg-${port}`),
      });
      servers.push(s.child);
      return s;
    };
    const one = await start(ports[0]!);
    b.log(`PostgreSQL: issuing ${people} HOTP authenticators`);
    const hotp = await HotpPeople.issue(one.url, seeded);

    const single = await measure(b, {
      ...hotp.acceptSpec('validate accept, PostgreSQL, 1 instance', b.seconds),
      serverPid: one.child.pid,
    });
    assertAlive(one.child, 'the PostgreSQL accept run');
    await sleep(1_000);
    hotp.releaseAll();

    const two = await start(ports[1]!);
    // The same people and connections as the single run, half through each instance.
    const half = (name: string, s: typeof one, seconds: number) => ({
      ...hotp.acceptSpec(name, seconds),
      url: s.url,
      connections: 32,
      serverPid: s.child.pid,
    });
    await Promise.all([
      runLoad(half('2 instances A (warm-up)', one, b.warmupSeconds)),
      runLoad(half('2 instances B (warm-up)', two, b.warmupSeconds)),
    ]);
    await sleep(1_000);
    hotp.releaseAll();
    const [a, c] = await Promise.all([
      runLoad(half('validate accept, PostgreSQL, 2 instances (A)', one, b.seconds)),
      runLoad(half('validate accept, PostgreSQL, 2 instances (B)', two, b.seconds)),
    ]);
    for (const r of [a, c]) {
      b.log(describeRun(r));
      b.runs[r.name] = r;
    }
    assertAlive(two.child, 'the two-instance run');
    for (const s of servers.splice(0)) await stopServer(s);

    // The baseline, with no Portcullis running.
    const client = new pg.Client({ connectionString: benchDb.url });
    await client.connect();
    try {
      await client.query('create table t (id int primary key, n bigint not null default 0)');
      await client.query(`insert into t (id) select generate_series(1, ${PGBENCH_ROWS})`);
    } finally {
      await client.end();
    }
    await pgbench(b, b.warmupSeconds, benchDb, 'pgbench (warm-up)');
    const tps = await pgbench(b, b.seconds, benchDb, 'pgbench');

    const ratio = single.goodPerSec / tps;
    const problems = loadProblems(single);
    b.rows.push({
      figure: 'validate accept, PostgreSQL',
      value: single.goodPerSec,
      unit: 'accepts/s',
      baseline: tps,
      baselineUnit: `tps (pgbench UPDATE, ${PGBENCH_CLIENTS} clients)`,
      ratio,
      goal: `≥ ${PG_VALIDATE_GOAL}× pgbench`,
      pass: ratio >= PG_VALIDATE_GOAL && problems.length === 0,
      note: `p99 ${single.latencyMs.p99} ms, ${serverCpu(single)}${problemsSuffix(problems)}`,
    });
    const both = a.goodPerSec + c.goodPerSec;
    const scaleProblems = loadProblems(a, c);
    b.rows.push({
      figure: 'scale-out: validate accept, 2 instances, one PostgreSQL',
      value: both,
      unit: 'accepts/s',
      baseline: single.goodPerSec,
      baselineUnit: 'accepts/s (1 instance)',
      ratio: single.goodPerSec > 0 ? both / single.goodPerSec : null,
      goal: 'reported (docs/scaling.md)',
      pass: scaleProblems.length === 0 ? null : false,
      note:
        `A ${Math.round(a.goodPerSec)}/s (${serverCpu(a)}), B ${Math.round(c.goodPerSec)}/s (${serverCpu(c)}); ` +
        `64 connections in all, as the single run; the driver, PostgreSQL and both instances share the machine's CPUs` +
        problemsSuffix(scaleProblems),
    });
  } finally {
    for (const s of servers) await stopChild(s, 10_000);
    for (const db of [tdb, benchDb]) {
      await db.drop();
      cleanups.delete(db.drop);
    }
  }
}
