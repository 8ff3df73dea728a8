import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cpuSecondsOf, freePort, schedOf } from '../children.js';
import { pool, type ServerFlavour, seedPeople, serverEnv, startServer, stopServer } from '../portcullis.js';
import { signInOnce, TotpPeople } from '../sign-in.js';

/**
 * Server CPU per request of a password + TOTP sign-in, one sign-in at a time (no group commit
 * across requests): which of the seven requests costs what, on the main thread and in all.
 *
 *   npx tsx bench/profile/sign-in-steps.ts      (STEP_SIGNINS=100 by default; BENCH_SERVER=dist|src)
 */

const ROOT = resolve(import.meta.dirname, '../..');
const SIGNINS = Number(process.env.STEP_SIGNINS ?? 100);
const FLAVOUR = (process.env.BENCH_SERVER ?? 'src') as ServerFlavour;

/** CPU seconds (user, system) of each of the process's threads. */
function threadCpu(pid: number): Map<string, { user: number; system: number }> {
  const out = new Map<string, { user: number; system: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended
    }
    // Node 20 names every thread "node": the main thread by its id, the others by theirs.
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const name = tid === String(pid) ? 'main' : `${comm} ${tid}`;
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const t = out.get(name) ?? { user: 0, system: 0 };
    t.user += Number(f[11]) / 100;
    t.system += Number(f[12]) / 100;
    out.set(name, t);
  }
  return out;
}

/** The request's step: method and path with the interaction id left out. */
const stepOf = (method: string, url: URL) =>
  `${method} ${url.pathname.replace(/\/(interaction|auth)\/[^/]+/, '/$1/:uid')}`;

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-steps-'));
  const port = await freePort();
  const env = serverEnv({ dir, port });
  const seeded = await seedPeople(env, 10, 150);
  const server = await startServer({ cwd: ROOT, env, flavour: FLAVOUR, logPath: join(dir, 'server.log') });
  try {
    const pid = server.child.pid;
    const people = await TotpPeople.issue(server.url, seeded);
    const costs = new Map<string, { n: number; us: number; mainUs: number }>();
    let measuring = false;
    const realFetch = globalThis.fetch;
    globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(input instanceof Request ? input.url : input);
      const c0 = cpuSecondsOf(pid);
      const m0 = schedOf(pid).onCpu;
      const res = await realFetch(input, init);
      const body = await res.arrayBuffer();
      if (measuring) {
        const key = stepOf(init?.method ?? 'GET', url);
        const c = costs.get(key) ?? { n: 0, us: 0, mainUs: 0 };
        c.n++;
        c.us += (cpuSecondsOf(pid) - c0) * 1e6;
        c.mainUs += (schedOf(pid).onCpu - m0) * 1e6;
        costs.set(key, c);
      }
      return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    };
    for (let i = 0; i < 20; i++) await signInOnce(server.url, seeded.webClient, people);
    measuring = true;
    for (let i = 0; i < SIGNINS; i++) await signInOnce(server.url, seeded.webClient, people);
    let total = 0;
    let totalMain = 0;
    for (const [step, c] of costs) {
      total += c.us / SIGNINS;
      totalMain += c.mainUs / SIGNINS;
      process.stdout.write(
        `${step.padEnd(36)} ${(c.n / SIGNINS).toFixed(1)}×  ${(c.us / c.n).toFixed(0).padStart(6)} µs  main ${(c.mainUs / c.n).toFixed(0).padStart(6)} µs\n`,
      );
    }
    process.stdout.write(`per sign-in: ${total.toFixed(0)} µs, main thread ${totalMain.toFixed(0)} µs\n`);
    // The same sign-ins eight at a time (as the bench runs them): CPU per sign-in by thread.
    measuring = false;
    const before = threadCpu(pid);
    const n = SIGNINS * 2;
    await pool(
      Array.from({ length: n }, (_, i) => i),
      8,
      () => signInOnce(server.url, seeded.webClient, people),
    );
    const after = threadCpu(pid);
    process.stdout.write(`eight at a time, CPU per sign-in by thread (user + system):\n`);
    for (const [name, t] of after) {
      const b = before.get(name) ?? { user: 0, system: 0 };
      const user = ((t.user - b.user) * 1e6) / n;
      const system = ((t.system - b.system) * 1e6) / n;
      if (user + system > 0) {
        process.stdout.write(
          `  ${name.padEnd(20)} ${user.toFixed(0).padStart(6)} + ${system.toFixed(0).padStart(6)} µs\n`,
        );
      }
    }
  } finally {
    await stopServer(server.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
