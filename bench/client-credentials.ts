import { type Bench, logPath, measure } from './context.js';
import { freePort, spawnChild, stopChild, waitForHttp } from './children.js';
import type { LoadResult, LoadSpec } from './load.js';
import type { Seeded } from './portcullis.js';
import { loadProblems, problemsSuffix, serverCpu } from './report.js';

export const CLIENT_CREDENTIALS_GOAL = 0.9;

/** The load of the token endpoint: `grant_type=client_credentials`, client_secret_basic, 200 with a token. */
function tokenSpec(name: string, url: string, seconds: number, client: Seeded['serviceClient']): LoadSpec {
  return {
    name,
    url,
    path: '/oidc/token',
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    seconds,
    expectStatus: 200,
    goodOutcome: 'token',
    next: () => ({ body: 'grant_type=client_credentials', tag: undefined }),
    onResponse: (status, body) => {
      if (status !== 200) return `status ${status}`;
      return body.includes('"access_token"') ? 'token' : `body ${body.slice(0, 60)}`;
    },
  };
}

/**
 * client_credentials tokens/s through Portcullis (its store adapter, audit, everything) against
 * a bare oidc-provider issuing the same (opaque) tokens, same run. The baseline stores its
 * tokens and client durably too (SQLite, synchronous = FULL, one commit per event-loop turn: see
 * bench/bare-oidc.ts): an opaque token no other instance can introspect or revoke is not the
 * same product, and an in-memory baseline counted storing them as Portcullis' overhead.
 * (BARE_STORE=memory runs that in-memory baseline, as a reference for what storage costs.)
 */
export async function benchClientCredentials(
  b: Bench,
  portcullis: { url: string; pid: number },
  client: Seeded['serviceClient'],
): Promise<void> {
  const port = await freePort();
  const bare = spawnChild(
    'bare oidc-provider',
    process.execPath,
    ['--import', 'tsx', `${b.root}/bench/bare-oidc.ts`],
    {
      cwd: b.root,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PORT: String(port),
        CLIENT_ID: client.clientId,
        CLIENT_SECRET: client.clientSecret,
      },
      logPath: logPath(b, 'bare-oidc'),
    },
  );
  let bareRun: LoadResult;
  try {
    const bareUrl = `http://127.0.0.1:${port}`;
    await waitForHttp(`${bareUrl}/.well-known/openid-configuration`, bare);
    bareRun = await measure(b, {
      ...tokenSpec('client_credentials, bare oidc-provider', bareUrl, b.seconds, client),
      serverPid: bare.pid,
    });
  } finally {
    await stopChild(bare);
  }
  const run = await measure(b, {
    ...tokenSpec('client_credentials, Portcullis', portcullis.url, b.seconds, client),
    serverPid: portcullis.pid,
  });
  const ratio = bareRun.goodPerSec ? run.goodPerSec / bareRun.goodPerSec : 0;
  const problems = loadProblems(bareRun, run);
  b.rows.push({
    figure: 'client_credentials tokens (opaque)',
    value: run.goodPerSec,
    unit: 'tokens/s',
    baseline: bareRun.goodPerSec,
    baselineUnit: 'tokens/s (bare oidc-provider)',
    ratio,
    goal: `≥ ${CLIENT_CREDENTIALS_GOAL}× bare oidc-provider`,
    pass: ratio >= CLIENT_CREDENTIALS_GOAL && problems.length === 0,
    note:
      `Portcullis p99 ${run.latencyMs.p99} ms, ${serverCpu(run)}; bare p99 ${bareRun.latencyMs.p99} ms, ${serverCpu(bareRun)}` +
      problemsSuffix(problems),
  });
}
