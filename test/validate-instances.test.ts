import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hotp, totp } from '../src/authenticators/otp/index.js';
import { decodeBase32 } from '../src/authenticators/otp/base32.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from './support/databases.js';
import { createTestRuntime, TEST_MASTER_KEY, type TestRuntime } from './support/runtime.js';
import { type ServerProcess, startServer } from './support/server-process.js';

const TRIALS = 50;
const REQUESTS_PER_TRIAL = 8;

/**
 * Two real Portcullis processes over one database: the same TOTP code sent concurrently to both
 * is accepted exactly once per trial (the compare-and-set lives in the database, not in memory).
 */
describe.each(DIALECTS)('two instances on %s', (dialect) => {
  let db: TestDatabase;
  let seed: TestRuntime;
  let servers: ServerProcess[] = [];
  let validator: string;
  const secrets: Buffer[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    seed = await createTestRuntime(dialect, { db });
    const app = await seed.app();
    const admin = await seed.token('admin');
    validator = await seed.token('validator');
    for (let i = 0; i < TRIALS; i++) {
      const p = await seed.services.identity.create({ label: 'test' }, { username: `multi-${i}` });
      const r = await app.inject({
        method: 'POST',
        url: `/api/v1/users/${p.id}/authenticators`,
        headers: { authorization: `Bearer ${admin}` },
        payload: { type: 'totp' },
      });
      secrets.push(decodeBase32((r.json() as { secret: string }).secret));
    }
    const env = { DATABASE_URL: db.url, PORTCULLIS_MASTER_KEY: TEST_MASTER_KEY };
    servers = await Promise.all([startServer(env), startServer(env)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await seed?.dispose();
    await db?.drop();
  });

  it(`accepts each code exactly once across both instances (${TRIALS} trials)`, async () => {
    const accepts: number[] = [];
    for (let i = 0; i < TRIALS; i++) {
      const code = totp(secrets[i]!, Date.now(), { algorithm: 'SHA1', digits: 6, period: 30 });
      const answers = await Promise.all(
        Array.from({ length: REQUESTS_PER_TRIAL }, async (_, k) => {
          const res = await fetch(`${servers[k % 2]!.url}/api/v1/validate`, {
            method: 'POST',
            headers: { authorization: `Bearer ${validator}`, 'content-type': 'application/json' },
            body: JSON.stringify({ username: `multi-${i}`, code }),
          });
          expect(res.status).toBe(200);
          return ((await res.json()) as { result: string }).result;
        }),
      );
      accepts.push(answers.filter((a) => a === 'accept').length);
    }
    expect(accepts).toEqual(Array(TRIALS).fill(1));
    const verify = await seed.services.audit.verify();
    expect(verify.ok).toBe(true);
  }, 120_000);

  it('a policy change made elsewhere governs the next validation on both instances at once', async () => {
    const app = await seed.app();
    const admin = await seed.token('admin');
    const call = (method: 'POST' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
      app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${admin}` }, payload });
    const person = await seed.services.identity.create({ label: 'test' }, { username: 'policy-multi' });
    const issued = (await call('POST', `/users/${person.id}/authenticators`, { type: 'hotp' })).json() as {
      secret: string;
    };
    const secret = decodeBase32(issued.secret);
    const code = (counter: number) => hotp(secret, counter, { algorithm: 'SHA1', digits: 6 });
    const validate = async (server: ServerProcess, counter: number) => {
      const res = await fetch(`${server.url}/api/v1/validate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${validator}`, 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'policy-multi', code: code(counter) }),
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { result: string }).result;
    };
    // Both instances have evaluated the policies (and kept what they parsed) before the change.
    expect(await validate(servers[0]!, 0)).toBe('accept');
    expect(await validate(servers[1]!, 1)).toBe('accept');
    const created = await call('POST', '/policies', {
      name: 'totp-only',
      targetKind: 'default',
      rules: { allowedTypes: ['totp'] },
    });
    expect(created.statusCode).toBe(201);
    expect(await validate(servers[0]!, 2)).toBe('reject');
    expect(await validate(servers[1]!, 2)).toBe('reject');
    expect((await call('DELETE', `/policies/${(created.json() as { id: string }).id}`)).statusCode).toBe(204);
    expect(await validate(servers[1]!, 2)).toBe('accept');
    expect(await validate(servers[0]!, 3)).toBe('accept');
  }, 60_000);
});
