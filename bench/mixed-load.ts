import { memoryOf } from './children.js';
import type { Bench } from './context.js';
import { describeRun, runLoad } from './load.js';
import type { HotpPeople, Seeded } from './portcullis.js';
import { loadProblems } from './report.js';
import { runSignIns, type TotpPeople } from './sign-in.js';

export const MIXED_RSS_GOAL_MB = 250;
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** Counts of one kind of request in the mixed load. */
interface Tally {
  ok: number;
  failed: number;
  samples: string[];
}

/** `workers` loops calling `op` until the deadline; every answer other than the expected status is a failure. */
async function loop(
  deadline: number,
  workers: number,
  tally: Tally,
  op: (w: number, i: number) => Promise<void>,
) {
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = 0; Date.now() < deadline; i++) {
        try {
          await op(w, i);
          tally.ok++;
        } catch (err) {
          tally.failed++;
          if (tally.samples.length < 3) tally.samples.push((err as Error).message.slice(0, 160));
        }
      }
    }),
  );
}

async function call(
  url: string,
  token: string,
  expect: number,
  init: { method?: string; body?: unknown; scim?: boolean } = {},
) {
  const type = init.scim ? 'application/scim+json' : 'application/json';
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      accept: type,
      ...(init.body === undefined ? {} : { 'content-type': type }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  if (res.status !== expect)
    throw new Error(`${init.method ?? 'GET'} ${new URL(url).pathname}: ${res.status} ${text.slice(0, 100)}`);
  return text;
}

/**
 * `seconds` of everything at once against one server: validations (autocannon, 16 connections),
 * sign-ins (2 browsers), admin reads (4 loops: people list, a person, the dashboard, the recent
 * audit export) and SCIM writes (2 loops: create a person, then PATCH them). The server's RSS
 * is sampled throughout; the figure is the RSS at the end.
 */
export async function benchMixedLoad(
  b: Bench,
  server: { url: string; pid: number },
  seeded: Seeded,
  hotp: HotpPeople,
  totp: TotpPeople,
  seconds: number,
): Promise<void> {
  b.log(`mixed load for ${seconds} s`);
  const deadline = Date.now() + seconds * 1000;
  const api = `${server.url}/api/v1`;
  const reads: Tally = { ok: 0, failed: 0, samples: [] };
  const writes: Tally = { ok: 0, failed: 0, samples: [] };
  let peakMb = 0;
  const samples: number[] = [];
  const sampler = setInterval(() => {
    try {
      const m = memoryOf(server.pid);
      peakMb = Math.max(peakMb, m.rssMb);
      samples.push(Math.round(m.rssMb));
    } catch {
      // the server is gone: the end of the run says so
    }
  }, 5_000);
  const since = new Date().toISOString();
  const ids = seeded.people.map((p) => p.id);
  const [validations, signIns] = await Promise.all([
    runLoad({
      ...hotp.acceptSpec('mixed load: validations', seconds),
      connections: 16,
      serverPid: server.pid,
    }),
    runSignIns({ url: server.url, client: seeded.webClient, people: totp, seconds, concurrency: 2 }),
    loop(deadline, 4, reads, async (w, i) => {
      const k = (w + i * 4) % 4;
      if (k === 0)
        await call(`${api}/users?limit=50&offset=${(i * 50) % ids.length}`, seeded.adminToken, 200);
      else if (k === 1) await call(`${api}/users/${ids[(i * 7919) % ids.length]}`, seeded.adminToken, 200);
      else if (k === 2) await call(`${api}/metrics/dashboard`, seeded.adminToken, 200);
      else await call(`${api}/audit/events?since=${encodeURIComponent(since)}`, seeded.adminToken, 200);
    }),
    loop(deadline, 2, writes, async (w, i) => {
      const userName = `mixed-${w}-${i}-${process.pid}`;
      const created = JSON.parse(
        await call(`${server.url}/scim/v2/Users`, seeded.scimToken, 201, {
          method: 'POST',
          scim: true,
          body: {
            schemas: [USER_SCHEMA],
            userName,
            name: { givenName: 'Mixed', familyName: `Load ${i}` },
            emails: [{ value: `${userName}@bench.example`, type: 'work', primary: true }],
            active: true,
          },
        }),
      ) as { id: string };
      await call(`${server.url}/scim/v2/Users/${created.id}`, seeded.scimToken, 200, {
        method: 'PATCH',
        scim: true,
        body: {
          schemas: [PATCH_OP],
          Operations: [{ op: 'replace', path: 'displayName', value: `Mixed ${i}` }],
        },
      });
    }),
  ]);
  clearInterval(sampler);
  b.log(describeRun(validations));
  b.runs[validations.name] = validations;
  const end = memoryOf(server.pid);
  peakMb = Math.max(peakMb, end.rssMb);
  const memory = await memoryParts(server.url);
  b.extra.mixedLoad = { seconds, signIns, reads, writes, rssSamplesMb: samples, end, memory };
  b.log(
    `mixed load: ${Math.round(validations.goodPerSec)} accepts/s, ${signIns.signIns} sign-ins, ${reads.ok} reads, ${writes.ok} SCIM writes; RSS ${end.rssMb.toFixed(1)} MB`,
  );
  const problems = [
    ...loadProblems(validations),
    ...(signIns.failures
      ? [`${signIns.failures} sign-ins failed: ${signIns.failureSamples.join(' | ')}`]
      : []),
    ...(reads.failed ? [`${reads.failed} reads failed: ${reads.samples.join(' | ')}`] : []),
    ...(writes.failed ? [`${writes.failed} SCIM writes failed: ${writes.samples.join(' | ')}`] : []),
  ];
  b.rows.push({
    figure: `server RSS after ${seconds} s mixed load`,
    value: end.rssMb,
    unit: 'MB',
    baseline: null,
    ratio: null,
    goal: `≤ ${MIXED_RSS_GOAL_MB} MB`,
    pass: end.rssMb <= MIXED_RSS_GOAL_MB && problems.length === 0,
    note:
      `peak sampled ${peakMb.toFixed(1)} MB, VmHWM ${end.peakRssMb.toFixed(1)} MB; ` +
      `${validations.good} validations (${Math.round(validations.goodPerSec)}/s), ${signIns.signIns} sign-ins, ` +
      `${reads.ok} admin reads, ${writes.ok} SCIM writes (create + PATCH); ${memory}` +
      (problems.length ? `; ${problems.join('; ')}` : ''),
  });
}

/** Where the server's memory is, from its own /metrics: V8 heap used of heap total, and external. */
async function memoryParts(url: string): Promise<string> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const mb = (name: string) => {
      const m = new RegExp(`^${name} (\\S+)`, 'm').exec(text);
      return m ? `${(Number(m[1]) / 2 ** 20).toFixed(0)} MB` : '?';
    };
    return `V8 heap ${mb('portcullis_nodejs_heap_size_used_bytes')} used of ${mb('portcullis_nodejs_heap_size_total_bytes')}, external ${mb('portcullis_nodejs_external_memory_bytes')}`;
  } catch (err) {
    return `no /metrics (${String(err)})`;
  }
}
