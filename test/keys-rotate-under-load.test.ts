import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretAad } from '../src/authenticators/issue-authenticator.js';
import { decodeBase32, hotp, totp } from '../src/authenticators/otp/index.js';
import { ManualClock } from '../src/shared/clock.js';
import { runCli } from './support/cli.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from './support/databases.js';
import { createTestRuntime, TEST_MASTER_KEY, type TestRuntime } from './support/runtime.js';
import { freePort, type ServerProcess, startServer } from './support/server-process.js';
import { Browser } from './support/sso.js';

const ACTOR = { label: 'test' };
const VALIDATORS = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `keys rotate` run from the command line while a server validates codes, signs people in and
 * issues new factors: every right code is accepted and every request answered (no 5xx, no
 * wrong reject), before, during and after the re-sealing. The server learns the new data key
 * only from the ids in the values it reads; what it seals meanwhile under the old key stays
 * readable.
 */
describe.each(DIALECTS)('keys rotate under load on %s', (dialect) => {
  let db: TestDatabase;
  let seed: TestRuntime;
  let server: ServerProcess;
  let publicUrl: string;
  let admin: string;
  let validator: string;
  let clientId: string;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    publicUrl = `http://127.0.0.1:${await freePort()}`;
    seed = await createTestRuntime(dialect, {
      db,
      env: { PUBLIC_URL: publicUrl },
      clock: new ManualClock(Date.now()),
    });
    admin = await seed.token('admin');
    validator = await seed.token('validator');
    clientId = (
      await seed.services.sso.clients.create(ACTOR, { name: 'RP', redirectUris: [`${publicUrl}/cb`] })
    ).clientId;
    server = await startServer(
      { DATABASE_URL: db.url, PORTCULLIS_MASTER_KEY: TEST_MASTER_KEY, PUBLIC_URL: publicUrl },
      90_000,
    );
  }, 150_000);

  afterAll(async () => {
    await server?.stop();
    await seed?.dispose();
    await db?.drop();
  });

  /** A person with a password and an HOTP token (codes by counter: any number of uses a second). */
  async function personWithHotp(username: string) {
    const password = `${username} secret pw`;
    const p = await seed.services.identity.create(ACTOR, {
      username,
      email: `${username}@example.org`,
      password,
    });
    const issued = (await seed.services.authenticators.issue(ACTOR, p.id, { type: 'hotp' })) as unknown as {
      secret: string;
    };
    const secret = decodeBase32(issued.secret);
    let counter = 0;
    const next = () => hotp(secret, ++counter, { algorithm: 'SHA1', digits: 6 });
    // Activated by its first code, so the sign-in offers it.
    expect(await seed.services.validation.verifyForSignIn(ACTOR, p.id, next(), {})).toMatchObject({
      result: 'accept',
    });
    return { username, password, next };
  }

  const post = (path: string, token: string, body: unknown) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('accepts every right code and answers every request while the keys rotate', async () => {
    const failures: string[] = [];
    const done = { validations: 0, signIns: 0, enrolments: 0, afterRotation: 0 };
    let rotated = false;
    let stopped = false;
    const validators = await Promise.all(
      Array.from({ length: VALIDATORS }, (_, i) => personWithHotp(`v-${i}`)),
    );
    const signer = await personWithHotp('signer');

    const validate = async (who: Awaited<ReturnType<typeof personWithHotp>>) => {
      while (!stopped) {
        const res = await post('/api/v1/validate', validator, { username: who.username, code: who.next() });
        const body = await res.text();
        if (res.status !== 200 || JSON.parse(body).result !== 'accept')
          failures.push(`validate ${res.status} ${body}`);
        done.validations += 1;
        if (rotated) done.afterRotation += 1;
      }
    };
    const signIn = async () => {
      while (!stopped) {
        const q = new URLSearchParams({
          client_id: clientId,
          response_type: 'code',
          redirect_uri: `${publicUrl}/cb`,
          scope: 'openid',
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          code_challenge_method: 'S256',
        });
        const browser = new Browser(publicUrl, (url, init) =>
          fetch(new URL(url.pathname + url.search, server.url), init),
        );
        const second = await browser.submit(await browser.go(`/oidc/auth?${q}`), 'password', {
          username: signer.username,
          password: signer.password,
        });
        const back = await browser.submit(second, 'otp', { code: signer.next() });
        if (!back.location?.includes('code='))
          failures.push(`sign-in ${back.status} ${back.body.slice(0, 300)}`);
        done.signIns += 1;
      }
    };
    // New factors are sealed by the server under whichever key it holds as current.
    const enrol = async () => {
      for (let n = 0; !stopped; n++) {
        const p = await seed.services.identity.create(ACTOR, { username: `e-${n}` });
        const res = await post(`/api/v1/users/${p.id}/authenticators`, admin, { type: 'totp' });
        if (res.status !== 201) {
          failures.push(`enrol ${res.status} ${await res.text()}`);
          continue;
        }
        const secret = decodeBase32(((await res.json()) as { secret: string }).secret);
        const code = totp(secret, Date.now(), { algorithm: 'SHA1', digits: 6, period: 30 });
        const check = await post('/api/v1/validate', validator, { username: `e-${n}`, code });
        const verdict = await check.text();
        if (check.status !== 200 || JSON.parse(verdict).result !== 'accept')
          failures.push(`new factor ${verdict}`);
        done.enrolments += 1;
      }
    };

    const load = Promise.all([...validators.map(validate), signIn(), enrol()]);
    await sleep(1_000);
    const rotation = await runCli(db.url, ['keys', 'rotate']);
    rotated = true;
    // Past the rotation: the server now reads values sealed under the new key.
    for (let waited = 0; done.afterRotation < 2 * VALIDATORS && waited < 30_000; waited += 100)
      await sleep(100);
    await sleep(500);
    stopped = true;
    await load;

    expect(rotation.code, rotation.stderr).toBe(0);
    const summary = JSON.parse(rotation.stdout) as { keyId: string; resealed: number };
    expect(summary.resealed).toBeGreaterThanOrEqual(VALIDATORS + 1);
    expect(failures).toEqual([]);
    expect(done.afterRotation).toBeGreaterThanOrEqual(2 * VALIDATORS);
    expect(done.signIns).toBeGreaterThan(0);
    expect(done.enrolments).toBeGreaterThan(0);
    // Every stored seed opens, whichever key sealed it, and the audit chain is whole.
    const rows = await seed.ctx.store.db.selectFrom('authenticators').select(['id', 'secret_enc']).execute();
    for (const r of rows) if (r.secret_enc) await seed.ctx.keyring.decrypt(r.secret_enc, secretAad(r.id));
    expect(await seed.services.audit.verify()).toMatchObject({ ok: true });
  }, 240_000);
});
