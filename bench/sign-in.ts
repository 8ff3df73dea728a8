import { createHash, randomBytes } from 'node:crypto';
import { decodeBase32, type OtpAlgorithm, type OtpDigits, totp } from '../src/authenticators/otp/index.js';
import { hashPassword, verifyPassword } from '../src/crypto/passwords.js';
import { Browser } from '../test/support/sso.js';
import { cpuSecondsOf } from './children.js';
import type { Bench } from './context.js';
import { pool, post, REDIRECT_URI, type Seeded } from './portcullis.js';

/** One person's TOTP authenticator, as the driver sees it. */
interface TotpPerson {
  username: string;
  secret: Buffer;
  algorithm: OtpAlgorithm;
  digits: OtpDigits;
  period: number;
  /** The last time step whose code was sent: a code is accepted once, so the next sign-in waits for a later step. */
  lastStep: number;
  busy: boolean;
}

/**
 * The people of the sign-in runs: a password (the same for all) and a TOTP authenticator each,
 * issued through the admin API. Real TOTP, as a person's phone gives it: one code per person per
 * 30-second step, so the driver rotates through the people and never sends a code twice.
 */
export class TotpPeople {
  private cursor = 0;
  /** Times the driver found nobody with a fresh code and had to wait (too few people for the rate). */
  waits = 0;

  private constructor(
    private readonly people: TotpPerson[],
    readonly password: string,
  ) {}

  static async issue(url: string, seeded: Seeded): Promise<TotpPeople> {
    const people = new Array<TotpPerson>(seeded.signInPeople.length);
    await pool(seeded.signInPeople, 16, async (p, i) => {
      const res = await post(`${url}/api/v1/users/${p.id}/authenticators`, seeded.adminToken, {
        type: 'totp',
      });
      if (res.status !== 201) {
        throw new Error(`issuing TOTP for ${p.username}: ${res.status} ${res.text.slice(0, 300)}`);
      }
      const json = JSON.parse(res.text) as { secret: string; otpauthUri?: string };
      const uri = json.otpauthUri ? new URL(json.otpauthUri) : undefined;
      people[i] = {
        username: p.username,
        secret: decodeBase32(json.secret),
        algorithm: (uri?.searchParams.get('algorithm')?.toUpperCase() as OtpAlgorithm | undefined) ?? 'SHA1',
        digits: Number(uri?.searchParams.get('digits') ?? 6) as OtpDigits,
        period: Number(uri?.searchParams.get('period') ?? 30),
        lastStep: -1,
        busy: false,
      };
    });
    return new TotpPeople(people, seeded.password);
  }

  get count(): number {
    return this.people.length;
  }

  /** Someone whose code for the current step was never sent, and their code; waits when nobody is. */
  async take(): Promise<{ person: TotpPerson; code: string }> {
    for (;;) {
      const now = Date.now();
      for (let scanned = 0; scanned < this.people.length; scanned++) {
        const p = this.people[this.cursor]!;
        this.cursor = (this.cursor + 1) % this.people.length;
        const step = Math.floor(now / 1000 / p.period);
        if (p.busy || p.lastStep >= step) continue;
        p.busy = true;
        p.lastStep = step;
        return { person: p, code: totp(p.secret, now, p) };
      }
      this.waits++;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  give(p: TotpPerson): void {
    p.busy = false;
  }
}

/** What a sign-in run measured. */
export interface SignInResult {
  seconds: number;
  signIns: number;
  failures: number;
  /** The first few failures, for the note. */
  failureSamples: string[];
  serverCpuSeconds: number | null;
  /** Sign-ins per second of server CPU: sign-ins per second per core. */
  perCoreSecond: number | null;
  perSecond: number;
  /** Times the driver waited for a person with an unused code. */
  waits: number;
  meanMs: number;
}

const b64url = (b: Buffer) => b.toString('base64url');

/**
 * One whole sign-in as a browser and a relying party do it: the authorization request (code +
 * PKCE S256), the password page, the TOTP page, the redirect with the code, the token endpoint.
 * Throws with what went wrong.
 */
export async function signInOnce(
  url: string,
  client: Seeded['webClient'],
  people: TotpPeople,
): Promise<void> {
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(16));
  const auth = new URL('/oidc/auth', url);
  for (const [k, v] of Object.entries({
    client_id: client.clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid',
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    state,
  }))
    auth.searchParams.set(k, v);
  const browser = new Browser(url);
  const first = await browser.go(auth);
  const { person, code } = await people.take();
  let back: Awaited<ReturnType<Browser['go']>>;
  try {
    const second = await browser.submit(first, 'password', {
      username: person.username,
      password: people.password,
    });
    back = await browser.submit(second, 'otp', { code });
  } finally {
    people.give(person);
  }
  const location = back.location ? new URL(back.location, url) : undefined;
  const authCode = location?.searchParams.get('code');
  if (!authCode || location?.searchParams.get('state') !== state) {
    throw new Error(`no code at the end of the sign-in (status ${back.status}): ${back.body.slice(0, 200)}`);
  }
  const res = await fetch(new URL('/oidc/token', url), {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: authCode,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    }).toString(),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`token endpoint ${res.status}: ${text.slice(0, 200)}`);
  const tokens = JSON.parse(text) as { access_token?: string; id_token?: string };
  if (!tokens.access_token || !tokens.id_token) throw new Error(`no tokens: ${text.slice(0, 200)}`);
}

/** Sign-ins by `concurrency` browsers for `seconds`; the server's CPU over the same window. */
export async function runSignIns(opts: {
  url: string;
  client: Seeded['webClient'];
  people: TotpPeople;
  seconds: number;
  concurrency: number;
  serverPid?: number;
}): Promise<SignInResult> {
  const failureSamples: string[] = [];
  let signIns = 0;
  let failures = 0;
  let totalMs = 0;
  const waits0 = opts.people.waits;
  const cpu0 = opts.serverPid ? cpuSecondsOf(opts.serverPid) : 0;
  const t0 = performance.now();
  const deadline = t0 + opts.seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const s = performance.now();
      try {
        await signInOnce(opts.url, opts.client, opts.people);
        signIns++;
        totalMs += performance.now() - s;
      } catch (err) {
        failures++;
        if (failureSamples.length < 5) failureSamples.push((err as Error).message.slice(0, 200));
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  let serverCpuSeconds: number | null = null;
  try {
    if (opts.serverPid) serverCpuSeconds = cpuSecondsOf(opts.serverPid) - cpu0;
  } catch {
    // the server died: its CPU is unknown
  }
  return {
    seconds,
    signIns,
    failures,
    failureSamples,
    serverCpuSeconds,
    perCoreSecond: serverCpuSeconds ? signIns / serverCpuSeconds : null,
    perSecond: signIns / seconds,
    waits: opts.people.waits - waits0,
    meanMs: signIns ? totalMs / signIns : 0,
  };
}

/** What the argon2id baseline measured: verifies per second of CPU (this process). */
export interface Argon2Result {
  verifies: number;
  seconds: number;
  cpuSeconds: number;
  perCoreSecond: number;
  perSecond: number;
}

/**
 * The baseline: bare argon2id verifies (src/crypto/passwords.ts, so the same parameters), as
 * many at once as libuv's pool runs, for `seconds`; per core from this process's CPU time.
 * Run while this process does nothing else.
 */
export async function benchArgon2(seconds: number, concurrency = 4): Promise<Argon2Result> {
  const password = 'bench sign-in password 1';
  const hash = await hashPassword(password);
  let verifies = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      if (!(await verifyPassword(hash, password)))
        throw new Error('argon2 verify refused the right password');
      verifies++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    verifies,
    seconds: wall,
    cpuSeconds,
    perCoreSecond: verifies / cpuSeconds,
    perSecond: verifies / wall,
  };
}

export const SIGN_IN_GOAL = 0.65;

/**
 * Full password + TOTP sign-ins per second per core (server CPU) against bare argon2id verifies
 * per second per core, same run. The baseline runs first, while the server is idle.
 */
export async function benchSignIn(
  b: Bench,
  server: { url: string; pid: number },
  client: Seeded['webClient'],
  people: TotpPeople,
  concurrency = 8,
): Promise<void> {
  b.log(`argon2id baseline: ${b.seconds} s of verifies`);
  const argon = await benchArgon2(b.seconds);
  b.log(
    `argon2id: ${argon.verifies} verifies in ${argon.seconds.toFixed(1)} s, ${argon.cpuSeconds.toFixed(1)} CPU-s = ${argon.perCoreSecond.toFixed(1)}/s per core`,
  );
  const base = { url: server.url, client, people, concurrency, serverPid: server.pid };
  const warm = await runSignIns({ ...base, seconds: b.warmupSeconds });
  b.log(`sign-ins (warm-up): ${warm.signIns} ok, ${warm.failures} failed`);
  const r = await runSignIns({ ...base, seconds: b.seconds });
  b.log(
    `sign-ins: ${r.signIns} in ${r.seconds.toFixed(1)} s (${r.perSecond.toFixed(1)}/s), server CPU ${r.serverCpuSeconds?.toFixed(1)} s, ${r.failures} failed, ${r.waits} waits`,
  );
  b.extra.signIn = { argon2: argon, signIns: r, warmUp: warm, people: people.count, concurrency };
  const ratio = r.perCoreSecond === null ? null : r.perCoreSecond / argon.perCoreSecond;
  const problems = [
    ...(r.failures ? [`${r.failures} sign-ins failed: ${r.failureSamples.join(' | ')}`] : []),
    ...(warm.failures ? [`warm-up: ${warm.failures} failed: ${warm.failureSamples.join(' | ')}`] : []),
  ];
  b.rows.push({
    figure: 'sign-in, password + TOTP, per core',
    value: r.perCoreSecond,
    unit: 'sign-ins/s/core',
    baseline: argon.perCoreSecond,
    baselineUnit: 'argon2id verifies/s/core',
    ratio,
    goal: `≥ ${SIGN_IN_GOAL}× argon2id`,
    pass: ratio !== null && ratio >= SIGN_IN_GOAL && r.failures === 0 && r.signIns > 0,
    note:
      `${r.signIns} sign-ins (auth request → password → TOTP → code → token with PKCE) in ${r.seconds.toFixed(1)} s = ${r.perSecond.toFixed(1)}/s wall, ` +
      `mean ${r.meanMs.toFixed(0)} ms, ${concurrency} browsers, server CPU ${r.serverCpuSeconds?.toFixed(1)} s; ` +
      `argon2id ${argon.verifies} verifies on ${argon.cpuSeconds.toFixed(1)} CPU-s (${argon.perSecond.toFixed(1)}/s wall); ` +
      `real TOTP, each code once: ${people.count} people rotated, ${r.waits} waits for a fresh code` +
      (problems.length ? `; ${problems.join('; ')}` : ''),
  });
}
