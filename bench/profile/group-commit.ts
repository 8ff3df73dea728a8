import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cpuSecondsOf, freePort, schedOf } from '../children.js';
import { HotpPeople, pool, seedPeople, serverEnv, startServer, stopServer } from '../portcullis.js';
import { validateAcceptOp } from './validate-accept.js';

/**
 * Group commit on SQLite under many connections: N validate accepts at C at once against a
 * server child with bench/profile/commit-probe.mjs preloaded, then the distribution of units per
 * commit, how long each COMMIT (the fsync of synchronous = FULL) held the event loop, and the
 * server's CPU per accept (all over the measured accepts only, after seeding and warm-up).
 *
 *   npx tsx bench/profile/group-commit.ts            (GC_OPS=4000, GC_CONNECTIONS=64)
 *   GC_WAIT_MS=2 …                                    with PORTCULLIS_GROUP_COMMIT_MS (how long a write
 *                                                    waits to join a commit; 0 by default)
 *   GC_STRACE=/tmp/gc.strace …                        also `strace -c` of the server's main thread over
 *                                                    the measured accepts (which system calls it waits in)
 *   GC_PERF=/tmp/gc.perf …                            also `perf record -g` of the server over the
 *                                                    measured accepts (on-CPU time only, kernel
 *                                                    included; JS frames named via --perf-basic-prof)
 */

const ROOT = resolve(import.meta.dirname, '../..');
const OPS = Number(process.env.GC_OPS ?? 4000);
const CONNECTIONS = Number(process.env.GC_CONNECTIONS ?? 64);
const PERF = process.env.GC_PERF;
const STRACE = process.env.GC_STRACE;

interface ProbeOut {
  batches: Array<[units: number, commitMs: number, spanMs: number]>;
  commitMs: number;
  statements: number;
  statementMs: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const dir = mkdtempSync(join(tmpdir(), 'portcullis-gc-'));
const probeOut = join(dir, 'probe.json');
try {
  const port = await freePort();
  const env = serverEnv({ dir, port });
  const seeded = await seedPeople(env, Math.max(200, CONNECTIONS * 2), 0);
  const server = await startServer({
    cwd: ROOT,
    env: {
      ...env,
      NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --import=${join(ROOT, 'bench/profile/commit-probe.mjs')}${PERF ? ' --perf-basic-prof' : ''}`,
      COMMIT_PROBE_OUT: probeOut,
      ...(process.env.GC_WAIT_MS ? { PORTCULLIS_GROUP_COMMIT_MS: process.env.GC_WAIT_MS } : {}),
    },
    flavour: 'src',
    logPath: join(dir, 'server.log'),
  });
  const people = await HotpPeople.issue(server.url, seeded);
  const op = validateAcceptOp(people);
  const idx = (k: number) => Array.from({ length: k }, (_, i) => i);
  await pool(idx(500), CONNECTIONS, op);
  const pid = server.child.pid;
  const c0 = cpuSecondsOf(pid);
  const m0 = schedOf(pid).onCpu;
  const perf = PERF
    ? spawn('perf', ['record', '-F', '1999', '-g', '-p', String(pid), '-o', PERF], { stdio: 'ignore' })
    : undefined;
  const strace = STRACE
    ? spawn('strace', ['-c', '-w', '-o', STRACE, '-p', String(pid)], { stdio: 'ignore' })
    : undefined;
  if (perf || strace) await new Promise((r) => setTimeout(r, 500));
  process.kill(pid, 'SIGUSR2'); // the probe counts from here
  await new Promise((r) => setTimeout(r, 100));
  const t0 = performance.now();
  await pool(idx(OPS), CONNECTIONS, op);
  const wallMs = performance.now() - t0;
  for (const tracer of [perf, strace]) {
    if (!tracer) continue;
    tracer.kill('SIGINT');
    await new Promise((r) => tracer.once('exit', r));
  }
  const us = ((cpuSecondsOf(pid) - c0) * 1e6) / OPS;
  const mainUs = ((schedOf(pid).onCpu - m0) * 1e6) / OPS;
  await stopServer(server.child);
  // --perf-basic-prof leaves V8 logs named after the server's pid in its working directory.
  for (const f of readdirSync(ROOT)) {
    if (f.startsWith('isolate-') && f.endsWith(`-${pid}-v8.log`)) rmSync(join(ROOT, f), { force: true });
  }
  const probe = JSON.parse(readFileSync(probeOut, 'utf8')) as ProbeOut;
  const batches = probe.batches;
  const sizes = batches.map((b) => b[0]).sort((a, b) => a - b);
  const commits = batches.map((b) => b[1]).sort((a, b) => a - b);
  const units = sizes.reduce((a, b) => a + b, 0);
  const hist = new Map<string, number>();
  const bucket = (n: number) =>
    n === 1
      ? '1'
      : n <= 4
        ? '2-4'
        : n <= 8
          ? '5-8'
          : n <= 16
            ? '9-16'
            : n <= 32
              ? '17-32'
              : n <= 64
                ? '33-64'
                : '65+';
  for (const n of sizes) hist.set(bucket(n), (hist.get(bucket(n)) ?? 0) + 1);
  const lines = [
    `${OPS} validate accepts at ${CONNECTIONS} connections: ${(OPS / (wallMs / 1000)).toFixed(0)}/s on this (shared) machine, ` +
      `server CPU ${us.toFixed(0)} µs per accept (main thread ${mainUs.toFixed(0)} µs)`,
    `group commits: ${batches.length}, ${units} units, mean ${(units / Math.max(1, batches.length)).toFixed(1)} per commit; ` +
      `p10 ${quantile(sizes, 0.1)}, p50 ${quantile(sizes, 0.5)}, p90 ${quantile(sizes, 0.9)}, max ${sizes.at(-1) ?? 0}`,
    `units per commit: ${['1', '2-4', '5-8', '9-16', '17-32', '33-64', '65+']
      .map((b) => `${b}: ${hist.get(b) ?? 0}`)
      .join(', ')}`,
    `COMMIT on the event loop (fsync): p50 ${quantile(commits, 0.5).toFixed(2)} ms, p90 ${quantile(commits, 0.9).toFixed(2)} ms, ` +
      `max ${(commits.at(-1) ?? 0).toFixed(2)} ms; all commits ${probe.commitMs.toFixed(0)} ms, ` +
      `every statement ${probe.statementMs.toFixed(0)} ms (${probe.statements} runs)`,
    `→ per accept: ${((probe.commitMs * 1000) / Math.max(1, units)).toFixed(0)} µs of the loop blocked in COMMIT`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
