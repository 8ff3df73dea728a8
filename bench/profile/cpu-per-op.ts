import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  type Child,
  cpuSecondsOf,
  freePort,
  schedOf,
  spawnChild,
  stopChild,
  waitForHttp,
} from '../children.js';
import {
  HotpPeople,
  pool,
  type Seeded,
  type ServerFlavour,
  seedPeople,
  serverEnv,
  startServer,
  stopServer,
} from '../portcullis.js';
import {
  formatSummary,
  monotonicUs,
  newestProfile,
  type ProfileWindow,
  summarizeProfile,
} from '../profile-summary.js';
import { benchArgon2, signInOnce, TotpPeople } from '../sign-in.js';
import { validateAcceptOp } from './validate-accept.js';

/**
 * CPU per operation of the three hot paths (validate accept, client_credentials token, full
 * password + TOTP sign-in) and of their baselines, from the server process's CPU seconds
 * (/proc/<pid>/stat) over N operations. Unlike throughput, this stays meaningful on a busy
 * machine. The expected quiet-machine ratio is the baseline's CPU per op over ours (both servers
 * run on one event loop; the sign-in baseline is argon2id verifies per CPU second).
 *
 *   npx tsx bench/profile/cpu-per-op.ts            (sources through tsx; CPU_OPS=2000 by default)
 *   CPU_PROFILE=1 …                                 also a --cpu-prof summary of the measured ops
 *                                                   (seeding, issuing and warm-up left out)
 *   CPU_ONLY=validate,token,signin …                a subset
 */

const ROOT = resolve(import.meta.dirname, '../..');
const OPS = Number(process.env.CPU_OPS ?? 2000);
const SIGNINS = Number(process.env.CPU_SIGNINS ?? 150);
const FLAVOUR = (process.env.BENCH_SERVER ?? 'src') as ServerFlavour;
const PROFILE = process.env.CPU_PROFILE === '1';
const ONLY = new Set((process.env.CPU_ONLY ?? 'validate,token,signin').split(','));
const CONCURRENCY = 8;

const log = (m: string) => process.stderr.write(`[cpu ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

/** What one op cost the server: µs of CPU of the whole process, and of its main (event-loop) thread. */
interface Cost {
  us: number;
  mainUs: number;
}

/** When the measured ops of each Portcullis path ran (for the profile summary). */
const windows: ProfileWindow[] = [];

/** Server CPU per op over `n` ops of `op` (run `CONCURRENCY` at a time), after `warm` unmeasured ones. */
async function cpuPerOp(
  pid: number,
  n: number,
  warm: number,
  op: (i: number) => Promise<void>,
): Promise<Cost> {
  const idx = (k: number) => Array.from({ length: k }, (_, i) => i);
  await pool(idx(warm), CONCURRENCY, op);
  const c0 = cpuSecondsOf(pid);
  const m0 = schedOf(pid).onCpu;
  const fromUs = monotonicUs();
  await pool(idx(n), CONCURRENCY, op);
  windows.push({ fromUs, toUs: monotonicUs() });
  return { us: ((cpuSecondsOf(pid) - c0) * 1e6) / n, mainUs: ((schedOf(pid).onCpu - m0) * 1e6) / n };
}

const fmt = (c: Cost) => `${c.us.toFixed(0)} µs (main thread ${c.mainUs.toFixed(0)} µs)`;

async function spawnTs(name: string, file: string, env: NodeJS.ProcessEnv, ready: string, dir: string) {
  const port = await freePort();
  const child = spawnChild(name, process.execPath, ['--import', 'tsx', join(ROOT, file)], {
    cwd: ROOT,
    env: { ...process.env, ...env, NODE_ENV: 'production', PORT: String(port) },
    logPath: join(dir, `${name.replace(/\W+/g, '-')}.log`),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}${ready}`, child);
  return { child, url };
}

function tokenOp(url: string, client: Seeded['serviceClient']) {
  const auth = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
  return async () => {
    const res = await fetch(`${url}/oidc/token`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const text = await res.text();
    if (res.status !== 200 || !text.includes('access_token')) throw new Error(`token: ${res.status} ${text}`);
  };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-cpu-'));
  const results: Record<string, Cost> = {};
  const children: Child[] = [];
  try {
    // Baselines.
    const hello = await spawnTs('bare hello', 'bench/bare-hello.ts', {}, '/', dir);
    children.push(hello.child);
    results.helloUs = await cpuPerOp(hello.child.pid, OPS * 2, 500, async () => {
      const res = await fetch(`${hello.url}/`, { method: 'POST', body: '{"username":"x","code":"123456"}' });
      await res.text();
    });
    await stopChild(hello.child);
    log(`bare hello: ${fmt(results.helloUs)}`);

    const port = await freePort();
    const serverStartedUs = monotonicUs();
    const env = serverEnv({ dir, port });
    const seeded = await seedPeople(env, 200, ONLY.has('signin') ? 150 : 0);
    mkdirSync(join(dir, 'prof'), { recursive: true });
    const server = await startServer({
      cwd: ROOT,
      env,
      flavour: FLAVOUR,
      logPath: join(dir, 'server.log'),
      cpuProfDir: PROFILE ? join(dir, 'prof') : undefined,
    });
    children.push(server.child);
    const pid = server.child.pid;

    if (ONLY.has('validate')) {
      const op = validateAcceptOp(await HotpPeople.issue(server.url, seeded));
      results.validateUs = await cpuPerOp(pid, OPS, 300, op);
      log(`validate accept: ${fmt(results.validateUs)}`);
    }

    if (ONLY.has('token')) {
      const bare = await spawnTs(
        'bare oidc',
        'bench/bare-oidc.ts',
        { CLIENT_ID: seeded.serviceClient.clientId, CLIENT_SECRET: seeded.serviceClient.clientSecret },
        '/.well-known/openid-configuration',
        dir,
      );
      children.push(bare.child);
      results.bareTokenUs = await cpuPerOp(bare.child.pid, OPS, 300, tokenOp(bare.url, seeded.serviceClient));
      await stopChild(bare.child);
      log(`bare oidc token: ${fmt(results.bareTokenUs)}`);
      results.tokenUs = await cpuPerOp(pid, OPS, 300, tokenOp(server.url, seeded.serviceClient));
      log(`portcullis token: ${fmt(results.tokenUs)}`);
    }

    if (ONLY.has('signin')) {
      const people = await TotpPeople.issue(server.url, seeded);
      const argon = await benchArgon2(5);
      results.argon2Us = { us: 1e6 / argon.perCoreSecond, mainUs: 0 };
      log(`argon2id verify: ${results.argon2Us.us.toFixed(0)} µs CPU`);
      const op = () => signInOnce(server.url, seeded.webClient, people);
      results.signInUs = await cpuPerOp(pid, SIGNINS, 20, op);
      log(
        `sign-in: ${fmt(results.signInUs)}, beyond argon2id ${(results.signInUs.us - results.argon2Us.us).toFixed(0)} µs`,
      );
    }

    await stopServer(server.child);
    if (PROFILE) {
      const file = newestProfile(join(dir, 'prof'));
      // Only the measured ops of the Portcullis paths (the baselines ran in other processes):
      // seeding, issuing and warm-up stay out of the summary.
      const ours = windows.filter((w) => w.fromUs >= serverStartedUs);
      if (file) process.stdout.write(`${formatSummary(summarizeProfile(file, 25, ours))}\n`);
    }
    const r = results;
    const ratio = (base?: Cost, ours?: Cost, main = true) =>
      base && ours ? (main ? base.mainUs / ours.mainUs : base.us / ours.us).toFixed(3) : '-';
    const line = (what: string, ours?: Cost, base?: Cost, goal = '') =>
      ours && base
        ? `${what}: ${fmt(ours)} vs ${fmt(base)} → expected ratio ${ratio(base, ours)} by main thread, ${ratio(base, ours, false)} by process (goal ${goal})\n`
        : '';
    process.stdout.write(
      `${JSON.stringify(r)}\n` +
        line('validate vs hello', r.validateUs, r.helloUs, '0.40') +
        line('token vs bare oidc-provider', r.tokenUs, r.bareTokenUs, '0.9') +
        (r.signInUs && r.argon2Us
          ? `sign-in: ${fmt(r.signInUs)} vs argon2id ${r.argon2Us.us.toFixed(0)} µs → expected ratio ${(r.argon2Us.us / r.signInUs.us).toFixed(3)} (goal 0.65)\n`
          : ''),
    );
  } finally {
    for (const c of children) await stopChild(c);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
