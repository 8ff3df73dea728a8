import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeBase32, hotp, type OtpAlgorithm, type OtpDigits } from '../src/authenticators/otp/index.js';
import { loadConfig } from '../src/config.js';
import { hashPassword } from '../src/crypto/passwords.js';
import { openRuntime } from '../src/runtime.js';
import { openStore } from '../src/store/open-store.js';
import { createLogger } from '../src/shared/logger.js';
import { type Child, spawnChild, stopChild, waitForHttp } from './children.js';
import type { LoadSpec } from './load.js';

/** How the real server is started: the build (`node dist/main.js`) or the sources through tsx. */
export type ServerFlavour = 'dist' | 'src';

/** The environment of the server child and of the in-process seeding: nothing inherited that could redirect it. */
export function serverEnv(opts: { dir: string; port: number; databaseUrl?: string }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('PORTCULLIS_') || ['DATABASE_URL', 'SMTP_URL', 'PUBLIC_URL', 'HOST', 'PORT'].includes(k))
      continue;
    env[k] = v;
  }
  return {
    ...env,
    NODE_ENV: 'production',
    DATABASE_URL: opts.databaseUrl ?? `sqlite:${join(opts.dir, 'bench.db')}`,
    PORTCULLIS_MASTER_KEY: randomBytes(32).toString('base64'),
    PORTCULLIS_DATA_DIR: join(opts.dir, 'data'),
    HOST: '127.0.0.1',
    PORT: String(opts.port),
    // The issuer the sign-in driver follows redirects on (the default, localhost, may resolve to ::1).
    PUBLIC_URL: `http://127.0.0.1:${opts.port}`,
    LOG_LEVEL: 'warn',
  };
}

export interface Seeded {
  adminToken: string;
  validatorToken: string;
  scimToken: string;
  people: Array<{ id: string; username: string }>;
  /** People with a password (all the same one) for the sign-in runs; they get a TOTP later. */
  signInPeople: Array<{ id: string; username: string }>;
  password: string;
  /** A first-party authorization_code client (redirect URI `REDIRECT_URI`) and a client_credentials one. */
  webClient: { clientId: string; clientSecret: string };
  serviceClient: { clientId: string; clientSecret: string };
}

/** Where the sign-in client's codes are sent (nothing listens there: the driver reads the Location). */
export const REDIRECT_URI = 'http://127.0.0.1:9/cb';

/**
 * Before the server starts: migrates the database and creates `count` people and the two API
 * tokens through the services, in this process (faster than the API, same code path).
 */
export async function seedPeople(env: NodeJS.ProcessEnv, count: number, signInCount = 0): Promise<Seeded> {
  const config = loadConfig(env);
  const rt = await openRuntime(config, { logger: createLogger('silent'), migrate: true });
  try {
    const actor = { label: 'bench' };
    const adminToken = (await rt.services.tokens.create(actor, 'admin', 'bench-admin')).token;
    const validatorToken = (await rt.services.tokens.create(actor, 'validator', 'bench-validator')).token;
    const scimToken = (await rt.services.tokens.create(actor, 'scim', 'bench-scim')).token;
    // A few at once: on PostgreSQL each is a transaction of its own waiting for its commit.
    const create = async (prefix: string, n: number) => {
      const out = new Array<Seeded['people'][number]>(n);
      const indexes = Array.from({ length: n }, (_, i) => i);
      await pool(indexes, 8, async (i) => {
        const username = `${prefix}${String(i).padStart(5, '0')}`;
        const p = await rt.services.identity.create(actor, { username, email: `${username}@bench.example` });
        out[i] = { id: p.id, username };
      });
      return out;
    };
    const people = await create('bench', count);
    const signInPeople = await create('signin', signInCount);
    // One real argon2id hash (src/crypto/passwords.ts parameters) stored for every sign-in person:
    // hashing thousands one by one would only lengthen the seeding; each sign-in still verifies it.
    const password = 'bench sign-in password 1';
    if (signInPeople.length) {
      const hash = await hashPassword(password);
      await rt.ctx.store.db
        .updateTable('users')
        .set({ password_hash: hash })
        .where('username', 'like', 'signin%')
        .execute();
    }
    const web = await rt.services.sso.clients.create(actor, {
      name: 'Bench web app',
      redirectUris: [REDIRECT_URI],
      grantTypes: ['authorization_code'],
    });
    const service = await rt.services.sso.clients.create(actor, {
      name: 'Bench service',
      grantTypes: ['client_credentials'],
    });
    return {
      adminToken,
      validatorToken,
      scimToken,
      people,
      signInPeople,
      password,
      webClient: { clientId: web.clientId, clientSecret: web.clientSecret! },
      serviceClient: { clientId: service.clientId, clientSecret: service.clientSecret! },
    };
  } finally {
    await rt.close();
  }
}

/** Starts the real server as a child process and waits for /healthz. */
/**
 * Waits until the server over `env`'s database has no job due (queued with its time come, or
 * running): the mails that seeding and issuing queued (an invitation and a notice per person) are
 * sent before a measured run, which then costs only what its own requests cost. Periodic jobs
 * scheduled later do not count. Returns how many were due at first; throws after `timeoutMs`.
 */
export async function drainJobs(env: NodeJS.ProcessEnv, timeoutMs = 300_000): Promise<number> {
  const url = env.DATABASE_URL ?? '';
  const count = async (): Promise<number> => {
    const store = openStore(url);
    try {
      const row = await store.db
        .selectFrom('jobs')
        .select((e) => e.fn.countAll<number>().as('n'))
        .where((e) =>
          e.or([
            e('state', '=', 'running'),
            e.and([e('state', '=', 'queued'), e('run_at', '<=', Date.now())]),
          ]),
        )
        .executeTakeFirstOrThrow();
      return Number(row.n);
    } finally {
      await store.close();
    }
  };
  const first = await count();
  const deadline = Date.now() + timeoutMs;
  for (let n = first; n > 0; n = await count()) {
    if (Date.now() > deadline) throw new Error(`${n} jobs still due after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return first;
}

/**
 * The node flags `npm start` runs the server with (package.json's `start` script, read here so
 * the bench cannot drift from it; docs/operations.md, Memory): `node --flag … dist/main.js serve`.
 */
function serverNodeFlags(startScript: string): string[] {
  const words = startScript.trim().split(/\s+/);
  const node = words.indexOf('node');
  const entry = words.indexOf('dist/main.js');
  if (node < 0 || entry < node)
    throw new Error(`npm start is not "node … dist/main.js serve": ${startScript}`);
  return words.slice(node + 1, entry);
}

const SERVER_NODE_FLAGS = serverNodeFlags(
  (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      scripts: { start: string };
    }
  ).scripts.start,
);

export async function startServer(opts: {
  cwd: string;
  env: NodeJS.ProcessEnv;
  flavour: ServerFlavour;
  logPath: string;
  cpuProfDir?: string;
}): Promise<{ child: Child; url: string }> {
  const nodeFlags = [
    ...SERVER_NODE_FLAGS,
    ...(opts.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir] : []),
  ];
  const entry = opts.flavour === 'dist' ? ['dist/main.js'] : ['--import', 'tsx', 'src/main.ts'];
  const child = spawnChild('portcullis server', process.execPath, [...nodeFlags, ...entry, 'serve'], {
    cwd: opts.cwd,
    env: opts.env,
    logPath: opts.logPath,
  });
  const url = `http://127.0.0.1:${opts.env.PORT}`;
  await waitForHttp(`${url}/healthz`, child, 60_000);
  return { child, url };
}

/** Stops the server gracefully (so a CPU profile gets written), SIGKILL after 20 s. */
export function stopServer(child: Child): Promise<void> {
  return stopChild(child, 20_000);
}

/** One person's HOTP authenticator, as the driver sees it. */
interface Person {
  username: string;
  secret: Buffer;
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  /** The next counter whose code the driver will send. */
  next: number;
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function pool<T>(
  items: T[],
  limit: number,
  fn: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let i = 0;
  const worker = async () => {
    while (i < items.length) {
      const k = i++;
      await fn(items[k]!, k);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export async function post(
  url: string,
  token: string,
  body: unknown,
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/**
 * The people of the validation runs: each has an HOTP authenticator issued through the admin
 * API, and a counter kept here so every code sent is fresh and right. A person is handed out
 * again only after the answer to their last request came back (never two of theirs in flight).
 */
export class HotpPeople {
  private readonly people: Person[] = [];
  private ring = new Int32Array(0);
  private head = 0;
  private size = 0;
  /** People `0..locked-1` were locked by `lock()`: the accept path never picks them again. */
  private locked = 0;

  private constructor(
    private readonly url: string,
    private readonly validatorToken: string,
  ) {}

  /** Issues one HOTP authenticator per person through `POST /api/v1/users/{id}/authenticators`. */
  static async issue(url: string, seeded: Seeded): Promise<HotpPeople> {
    const out = new HotpPeople(url, seeded.validatorToken);
    const people = new Array<Person>(seeded.people.length);
    await pool(seeded.people, 16, async (p, i) => {
      const res = await post(`${url}/api/v1/users/${p.id}/authenticators`, seeded.adminToken, {
        type: 'hotp',
      });
      if (res.status !== 201) {
        throw new Error(`issuing HOTP for ${p.username}: ${res.status} ${res.text.slice(0, 300)}`);
      }
      const json = JSON.parse(res.text) as { secret?: string; otpauthUri?: string; state?: string };
      const uri = json.otpauthUri ? new URL(json.otpauthUri) : undefined;
      const secret = json.secret ?? uri?.searchParams.get('secret');
      if (!secret) throw new Error(`issuing HOTP for ${p.username}: no secret in ${res.text.slice(0, 300)}`);
      people[i] = {
        username: p.username,
        secret: decodeBase32(secret),
        algorithm: (uri?.searchParams.get('algorithm')?.toUpperCase() as OtpAlgorithm | undefined) ?? 'SHA1',
        digits: Number(uri?.searchParams.get('digits') ?? 6) as OtpDigits,
        next: Number(uri?.searchParams.get('counter') ?? 0),
      };
    });
    out.people.push(...people);
    out.ring = new Int32Array(people.length);
    out.releaseAll();
    return out;
  }

  get count(): number {
    return this.people.length;
  }

  /** Everyone not locked is free again (call only once no request is in flight). */
  releaseAll(): void {
    this.head = 0;
    this.size = this.people.length - this.locked;
    for (let i = 0; i < this.size; i++) this.ring[i] = this.locked + i;
  }

  private take(): number {
    if (this.size === 0)
      throw new Error('every person has a request in flight (too few people for the connections)');
    const i = this.ring[this.head]!;
    this.head = (this.head + 1) % this.ring.length;
    this.size--;
    return i;
  }

  private give(i: number): void {
    this.ring[(this.head + this.size) % this.ring.length] = i;
    this.size++;
  }

  private code(p: Person, counter: number): string {
    return hotp(p.secret, counter, { algorithm: p.algorithm, digits: p.digits });
  }

  /** A well-formed code that is wrong for the person now (outside any plausible look-ahead window). */
  wrongCode(i: number): string {
    const p = this.people[i]!;
    const window = new Set(Array.from({ length: 100 }, (_, k) => this.code(p, p.next + k)));
    for (let k = 0; ; k++) {
      const candidate = String((123_457 + k * 7_919) % 10 ** p.digits).padStart(p.digits, '0');
      if (!window.has(candidate)) return candidate;
    }
  }

  /** What every load spec of `POST /api/v1/validate` shares: the validator's token, JSON bodies. */
  private validateSpec(
    name: string,
    seconds: number,
  ): Pick<LoadSpec, 'name' | 'url' | 'path' | 'method' | 'headers' | 'seconds'> {
    return {
      name,
      url: this.url,
      path: '/api/v1/validate',
      method: 'POST',
      headers: { authorization: `Bearer ${this.validatorToken}`, 'content-type': 'application/json' },
      seconds,
    };
  }

  /** The load spec of the accept path: each request a fresh, right code of a person not in flight. */
  acceptSpec(name: string, seconds: number): LoadSpec {
    return {
      ...this.validateSpec(name, seconds),
      expectStatus: 200,
      goodOutcome: 'accept',
      next: () => {
        const i = this.take();
        const p = this.people[i]!;
        // The counter moves on whatever the answer: a lost answer leaves the server at most one behind,
        // well inside its look-ahead window.
        const code = this.code(p, p.next++);
        return { body: `{"username":"${p.username}","code":"${code}"}`, tag: i };
      },
      onResponse: (status, body, tag) => {
        if (typeof tag === 'number') this.give(tag);
        if (status !== 200) return `status ${status}`;
        try {
          const r = (JSON.parse(body) as { result?: unknown }).result;
          return r === 'accept' || r === 'reject' ? r : `body ${body.slice(0, 60)}`;
        } catch {
          return `body ${body.slice(0, 60)}`;
        }
      },
    };
  }

  /**
   * Locks people `0..n-1`: `failures` wrong codes each, in rounds (every person's k-th failure
   * before anyone's k+1-th) so all locks start close together, in the last round; then one more
   * request each that must be refused with 429 and Retry-After. Returns when the last round
   * started (no lock is older) and what was unexpected.
   */
  async lock(n: number, failures: number): Promise<{ lockedAt: number; problems: string[] }> {
    const problems: string[] = [];
    const url = `${this.url}/api/v1/validate`;
    const who = Array.from({ length: Math.min(n, this.people.length) }, (_, i) => i);
    const codes = who.map((i) => this.wrongCode(i));
    let lockedAt = Date.now();
    for (let k = 1; k <= failures + 1; k++) {
      if (k === failures) lockedAt = Date.now();
      await pool(who, 32, async (i) => {
        const p = this.people[i]!;
        const r = await post(url, this.validatorToken, { username: p.username, code: codes[i] });
        if (k <= failures && (r.status !== 200 || !r.text.includes('"reject"'))) {
          problems.push(`${p.username} wrong code #${k}: ${r.status} ${r.text.slice(0, 120)}`);
        }
        if (k > failures && (r.status !== 429 || !r.headers.get('retry-after'))) {
          problems.push(
            `${p.username} not throttled after ${failures} failures: ${r.status} ${r.text.slice(0, 120)}`,
          );
        }
      });
    }
    // However short the runs between, no later accept load meets a lock (or starts a longer one).
    this.locked = Math.max(this.locked, who.length);
    this.releaseAll();
    return {
      lockedAt,
      problems: problems.slice(0, 10).concat(problems.length > 10 ? [`… ${problems.length} in all`] : []),
    };
  }

  /** The load spec of the throttled path: wrong codes for the locked people `0..n-1`, expecting 429. */
  throttledSpec(name: string, seconds: number, n: number): LoadSpec {
    const bodies = Array.from(
      { length: n },
      (_, i) => `{"username":"${this.people[i]!.username}","code":"${this.wrongCode(i)}"}`,
    );
    let k = 0;
    return {
      ...this.validateSpec(name, seconds),
      expectStatus: 429,
      goodOutcome: 'throttled',
      next: () => ({ body: bodies[k++ % n]!, tag: undefined }),
      onResponse: (status, _body, _tag, headers) => {
        if (status !== 429) return `status ${status}`;
        const retry = Object.entries(headers).find(([h]) => h.toLowerCase() === 'retry-after');
        return retry ? 'throttled' : '429 without Retry-After';
      },
    };
  }
}
