import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBase32, totp } from '../src/authenticators/otp/index.js';
import { ManualClock } from '../src/shared/clock.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { createTestRuntime, TEST_MASTER_KEY, type TestRuntime } from './support/runtime.js';
import { PATCH_OP } from './support/scim.js';
import { freePort, type ServerProcess, startServer } from './support/server-process.js';
import { Browser } from './support/sso.js';

const TRIALS = 20;
/** Trials run this many at a time (each is two password sign-ins, one per instance). */
const AT_ONCE = 5;
const ACTOR = { label: 'test' };

/**
 * Two real Portcullis processes behind one PUBLIC_URL (a load balancer without sticky sessions)
 * on one PostgreSQL database: one-time credentials are spent once across instances, a session
 * started on one is honoured by the other, a leaver on one is refused at once by the other.
 */
describe('two instances on postgres', () => {
  let db: TestDatabase;
  let seed: TestRuntime;
  let servers: ServerProcess[] = [];
  let publicUrl: string;
  let clientId: string;
  let clientSecret: string;
  let validator: string;
  let scimToken: string;
  let n = 0;

  /** A browser whose every request the "load balancer" sends to the instance `route` names. */
  const browserVia = (route: () => ServerProcess) =>
    new Browser(publicUrl, (url, init) => fetch(new URL(url.pathname + url.search, route().url), init));

  const authorizeUrl = () => {
    const q = new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      redirect_uri: `${publicUrl}/cb`,
      scope: 'openid',
      state: `s${++n}`,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    return `/oidc/auth?${q}`;
  };

  /** A person with a password (and nothing else yet). */
  const person = async (prefix: string) => {
    const username = `${prefix}-${++n}`;
    const password = `${username} secret pw`;
    const p = await seed.services.identity.create(ACTOR, {
      username,
      email: `${username}@example.org`,
      password,
    });
    return { id: p.id, username, password };
  };

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    publicUrl = `http://127.0.0.1:${await freePort()}`;
    // The seed's clock runs two minutes behind: a TOTP it activates is at an earlier step than
    // the codes the servers (real clock) are sent.
    seed = await createTestRuntime('postgres', {
      db,
      env: { PUBLIC_URL: publicUrl },
      clock: new ManualClock(Date.now() - 120_000),
    });
    validator = await seed.token('validator');
    scimToken = await seed.token('scim');
    const client = await seed.services.sso.clients.create(ACTOR, {
      name: 'RP',
      redirectUris: [`${publicUrl}/cb`],
    });
    clientId = client.clientId;
    clientSecret = client.clientSecret!;
    const env = { DATABASE_URL: db.url, PORTCULLIS_MASTER_KEY: TEST_MASTER_KEY, PUBLIC_URL: publicUrl };
    servers = await Promise.all([startServer(env, 90_000), startServer(env, 90_000)]);
  }, 90_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await seed?.dispose();
    await db?.drop();
  });

  /**
   * One trial: two browsers sign in with the password, one on each instance, up to the recovery
   * form; both send the same credential at once. Returns how many were let on to enrolment.
   */
  async function raceRecovery(
    method: 'recovery_code' | 'access_pass',
    credential: string,
    who: { username: string; password: string },
  ) {
    const pages = await Promise.all(
      servers.map(async (server) => {
        const browser = browserVia(() => server);
        const page = await browser.submit(await browser.go(authorizeUrl()), 'password', {
          username: who.username,
          password: who.password,
        });
        return { browser, page };
      }),
    );
    const outcomes = await Promise.all(
      pages.map(({ browser, page }) => browser.submit(page, 'recovery', { method, code: credential })),
    );
    return outcomes.filter((o) => o.body.includes('Set up an authenticator app')).length;
  }

  /**
   * TRIALS people, each given a credential first (one after another: the setup is not what is
   * under test), then raced AT_ONCE at a time; returns each trial's count of wins.
   */
  async function trials(
    method: 'recovery_code' | 'access_pass',
    credentialFor: (userId: string) => Promise<string>,
  ): Promise<number[]> {
    const people = [];
    for (let i = 0; i < TRIALS; i++) {
      const who = await person(method);
      people.push({ who, credential: await credentialFor(who.id) });
    }
    const wins: number[] = [];
    for (let i = 0; i < TRIALS; i += AT_ONCE) {
      const batch = people.slice(i, i + AT_ONCE);
      wins.push(...(await Promise.all(batch.map((t) => raceRecovery(method, t.credential, t.who)))));
    }
    return wins;
  }

  it(`a recovery code sent to both instances at once is spent exactly once (${TRIALS} trials)`, async () => {
    const wins = await trials('recovery_code', async (userId) => {
      const issued = await seed.services.authenticators.issue(ACTOR, userId, { type: 'recovery_codes' });
      return (issued as unknown as { codes: string[] }).codes[0]!;
    });
    expect(wins).toEqual(Array(TRIALS).fill(1));
    expect(await seed.services.audit.verify()).toMatchObject({ ok: true });
  }, 240_000);

  it(`an access pass sent to both instances at once is spent exactly once (${TRIALS} trials)`, async () => {
    const wins = await trials('access_pass', async (userId) => {
      const issued = await seed.services.authenticators.issue(ACTOR, userId, { type: 'access_pass' });
      return (issued as unknown as { code: string }).code;
    });
    expect(wins).toEqual(Array(TRIALS).fill(1));
    expect(await seed.services.audit.verify()).toMatchObject({ ok: true });
  }, 240_000);

  it('a session started on one instance is honoured by the other; a leaver on one is refused at once by the other', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const who = await person('sso');
    const issued = (await seed.services.authenticators.issue(ACTOR, who.id, { type: 'totp' })) as unknown as {
      id: string;
      secret: string;
    };
    const secret = decodeBase32(issued.secret);
    const code = (at: number) => totp(secret, at, { algorithm: 'SHA1', digits: 6, period: 30 });
    await seed.services.validation.verifyForSignIn(ACTOR, who.id, code(seed.clock.now()), {});

    // Signed in on A (password, then a TOTP code).
    let target = a;
    const browser = browserVia(() => target);
    const second = await browser.submit(await browser.go(authorizeUrl()), 'password', {
      username: who.username,
      password: who.password,
    });
    const first = await browser.submit(second, 'otp', { code: code(Date.now()) });
    expect(first.location).toContain('code=');

    // On B, the same browser gets a code at once: the session is in the database, not in A.
    target = b;
    const again = await browser.go(authorizeUrl());
    const back = new URL(again.location ?? `${publicUrl}/none`);
    expect(back.pathname).toBe('/cb');
    const grant = back.searchParams.get('code');
    expect(grant).toBeTruthy();
    // ... and A redeems the code B issued.
    const tokens = await fetch(`${a.url}/oidc/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: grant!,
        redirect_uri: `${publicUrl}/cb`,
        code_verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
      }),
    });
    expect(tokens.status).toBe(200);
    expect(((await tokens.json()) as { id_token?: string }).id_token).toBeTruthy();

    // The person leaves through SCIM on A ...
    const leave = await fetch(`${a.url}/scim/v2/Users/${who.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({
        schemas: [PATCH_OP],
        Operations: [{ op: 'replace', path: 'active', value: false }],
      }),
    });
    expect(leave.status).toBe(200);
    // ... and B refuses them at once: a right code is rejected, the live session gives no code,
    // and a fresh password sign-in gets nowhere.
    const validate = await fetch(`${b.url}/api/v1/validate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${validator}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username: who.username, code: code(Date.now() + 30_000) }),
    });
    expect(await validate.json()).toEqual({ result: 'reject' });
    const withSession = await browser.go(authorizeUrl());
    expect(withSession.location ?? '').not.toContain('code=');
    const fresh = browserVia(() => b);
    const refused = await fresh.submit(await fresh.go(authorizeUrl()), 'password', {
      username: who.username,
      password: who.password,
    });
    expect(refused.location ?? '').not.toContain('code=');
    expect(refused.body).not.toMatch(/action="[^"]*\/otp"/);
  }, 120_000);
});
