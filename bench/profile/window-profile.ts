import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openRuntime } from '../../src/runtime.js';
import { createLogger } from '../../src/shared/logger.js';
import { freePort } from '../children.js';
import { HotpPeople, pool, seedPeople, serverEnv } from '../portcullis.js';
import { formatSummary, summarizeProfile } from '../profile-summary.js';
import { signInOnce, TotpPeople } from '../sign-in.js';
import { validateAcceptOp } from './validate-accept.js';

/**
 * A CPU profile of one hot path only: the server runs in this process (same code as `serve`),
 * the people are issued and the path warmed up first, and the profiler runs just while `N`
 * operations go through real HTTP. The driver's own share shows as undici/fetch in the summary.
 *
 *   npx tsx bench/profile/window-profile.ts validate|token|signin [N]
 */

const path = process.argv[2] ?? 'validate';
const N = Number(process.argv[3] ?? (path === 'signin' ? 100 : 1000));
const dir = mkdtempSync(join(tmpdir(), 'portcullis-window-'));
const port = await freePort();
const env = serverEnv({ dir, port });
const seeded = await seedPeople(env, 64, path === 'signin' ? 120 : 0);
const rt = await openRuntime(loadConfig(env), { logger: createLogger('silent'), migrate: true });
const app = await buildApp(rt);
await app.listen({ port, host: '127.0.0.1' });
const url = `http://127.0.0.1:${port}`;

let op: () => Promise<void>;
if (path === 'validate') {
  const people = await HotpPeople.issue(url, seeded);
  op = validateAcceptOp(people);
} else if (path === 'token') {
  const { clientId, clientSecret } = seeded.serviceClient;
  const auth = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
  op = async () => {
    const res = await fetch(`${url}/oidc/token`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`token: ${res.status} ${text}`);
  };
} else {
  const people = await TotpPeople.issue(url, seeded);
  op = () => signInOnce(url, seeded.webClient, people);
}

const run = (n: number) =>
  pool(
    Array.from({ length: n }, (_, i) => i),
    8,
    op,
  );
await run(Math.ceil(N / 5));
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 200 });
await session.post('Profiler.start');
const cpu0 = process.cpuUsage();
await run(N);
const cpu = process.cpuUsage(cpu0);
const { profile } = await session.post('Profiler.stop');
session.disconnect();
mkdirSync(join(dir, 'prof'), { recursive: true });
const file = join(dir, 'prof', `${path}.cpuprofile`);
writeFileSync(file, JSON.stringify(profile));
process.stdout.write(
  `${path}: ${N} ops, this process ${(((cpu.user + cpu.system) / N) | 0).toLocaleString('en')} µs CPU per op (server and driver)\n`,
);
process.stdout.write(`${formatSummary(summarizeProfile(file, 40))}\n`);
await app.close();
await rt.close();
rmSync(dir, { recursive: true, force: true });
