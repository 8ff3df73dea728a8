import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBase32, encodeBase32, totp } from '../src/authenticators/otp/index.js';
import { totpType } from '../src/authenticators/types/totp.js';
import { normaliseHumanCode } from '../src/crypto/random.js';
import { DIALECTS } from './support/databases.js';
import { createPerson } from './support/people.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';

type Json = Record<string, unknown>;

/** Issuing and reading authenticators through the admin API, as an administrator's client does. */
describe.each(DIALECTS)('authenticators over HTTP on %s', (dialect) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let admin: string;
  let userId: string;
  /** Every secret, URI and code shown at issuance: no read may ever contain one. */
  const shownOnce: string[] = [];

  const call = (method: 'GET' | 'POST', url: string, token: string, payload?: unknown) =>
    app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${token}` },
      payload: payload as Json,
    });
  const issue = async (body: Json, status = 201) => {
    const res = await call('POST', `/users/${userId}/authenticators`, admin, body);
    expect(res.statusCode, res.body).toBe(status);
    return res.json() as Json;
  };

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
    app = await rt.app();
    admin = await rt.token('admin');
    userId = (await createPerson(rt, 'alice')).id;
  });
  afterAll(async () => rt?.dispose());

  it('issues TOTP: 201 pending, with an otpauth URI whose secret makes codes the server accepts', async () => {
    const body = await issue({ type: 'totp', name: 'Phone' });
    expect(Object.keys(body).sort()).toEqual(['id', 'otpauthUri', 'qrCode', 'secret', 'state', 'type']);
    expect(body).toMatchObject({ type: 'totp', state: 'pending' });
    const uri = new URL(String(body.otpauthUri));
    expect(`${uri.protocol}//${uri.host}${decodeURIComponent(uri.pathname)}`).toBe(
      'otpauth://totp/Portcullis:alice',
    );
    expect(uri.searchParams.get('issuer')).toBe('Portcullis');
    const seed = decodeBase32(uri.searchParams.get('secret')!);
    expect(uri.searchParams.get('secret')).toBe(body.secret);
    const svg = Buffer.from(
      String(body.qrCode).replace('data:image/svg+xml;base64,', ''),
      'base64',
    ).toString();
    expect(svg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    // The stored (sealed) seed is the one the URI carries: a code from the URI checks against it.
    const row = await rt.ctx.store.db
      .selectFrom('authenticators')
      .selectAll()
      .where('id', '=', String(body.id))
      .executeTakeFirstOrThrow();
    const stored = await rt.ctx.keyring.decrypt(row.secret_enc!, `authenticator:${row.id}`);
    const now = rt.clock.now();
    const code = totp(seed, now, { algorithm: 'SHA1', digits: 6, period: 30 });
    expect(totpType.check!(row, stored, code, now)).toMatchObject({ ok: true });
    shownOnce.push(String(body.secret), String(body.otpauthUri), String(body.qrCode));
  });

  it('issues HOTP with a starting counter', async () => {
    const body = await issue({ type: 'hotp', counter: 7, digits: 8, algorithm: 'SHA256' });
    expect(body).toMatchObject({ type: 'hotp', state: 'pending' });
    const uri = new URL(String(body.otpauthUri));
    expect(uri.searchParams.get('counter')).toBe('7');
    expect(uri.searchParams.get('digits')).toBe('8');
    shownOnce.push(String(body.secret), String(body.otpauthUri));
  });

  it('issues recovery codes: ten unique codes, shown once, the set active', async () => {
    const body = await issue({ type: 'recovery_codes' });
    expect(Object.keys(body).sort()).toEqual(['codes', 'id', 'state', 'type']);
    expect(body).toMatchObject({ type: 'recovery_codes', state: 'active' });
    const codes = body.codes as string[];
    expect(new Set(codes.map(normaliseHumanCode)).size).toBe(10);
    for (const c of codes) expect(normaliseHumanCode(c).length * 5).toBeGreaterThanOrEqual(64);
    shownOnce.push(...codes, ...codes.map(normaliseHumanCode));
  });

  it('issues an access pass expiring after the configured minutes', async () => {
    const body = await issue({ type: 'access_pass' });
    expect(Object.keys(body).sort()).toEqual(['code', 'expiresAt', 'id', 'state', 'type']);
    expect(body).toMatchObject({ type: 'access_pass', state: 'pending' });
    expect(Date.parse(String(body.expiresAt))).toBe(rt.clock.now() + 60 * 60_000);
    shownOnce.push(String(body.code), normaliseHumanCode(String(body.code)));
  });

  it('lists (a plain array) and reads without any secret, for every reading role', async () => {
    expect(shownOnce.length).toBeGreaterThan(15);
    for (const role of ['admin', 'helpdesk', 'auditor']) {
      const token = await rt.token(role);
      const list = await call('GET', `/users/${userId}/authenticators`, token);
      expect(list.statusCode).toBe(200);
      const items = list.json() as Json[];
      expect(Array.isArray(items)).toBe(true);
      // One frozen clock: every row has the same createdAt, so the order among them is not defined.
      expect(items.map((a) => a.type).sort()).toEqual(['access_pass', 'hotp', 'recovery_codes', 'totp']);
      const reads = [list.body];
      for (const item of items) reads.push((await call('GET', `/authenticators/${item.id}`, token)).body);
      for (const text of reads) {
        for (const secret of shownOnce) expect(text).not.toContain(secret);
        expect(text).not.toMatch(/otpauth|"(qrCode|secret|codes|code)"/);
      }
    }
    const all = (await call('GET', `/users/${userId}/authenticators`, admin)).json() as Json[];
    const first = all.find((a) => a.type === 'totp');
    expect(first).toMatchObject({ id: expect.any(String), type: 'totp', state: 'pending', name: 'Phone' });
    expect(first).toHaveProperty('createdAt');
    expect(first).toHaveProperty('lastUsedAt', null);
  });

  it('refuses a brought seed under 16 bytes (400 INVALID_SECRET) and writes nothing', async () => {
    const count = async () =>
      ((await call('GET', `/users/${userId}/authenticators`, admin)).json() as Json[]).length;
    const events = async () => (await rt.services.audit.forSubject(userId)).length;
    const before = [await count(), await events()];
    for (const secret of [encodeBase32(Buffer.alloc(15, 9)), 'NOT*BASE32', 'ABC']) {
      const body = await issue({ type: 'totp', secret }, 400);
      expect(body).toMatchObject({ code: 'INVALID_SECRET', status: 400 });
    }
    expect([await count(), await events()]).toEqual(before);
  });

  it('accepts a brought 16-byte seed', async () => {
    const body = await issue({ type: 'totp', secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' });
    expect(body.secret).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  });

  it('refuses malformed requests with 400 and unknown people with 404', async () => {
    expect((await issue({ type: 'sms' }, 400)).code).toBe('VALIDATION_FAILED');
    expect((await issue({ type: 'totp', digits: 7 }, 400)).code).toBe('VALIDATION_FAILED');
    expect((await issue({ type: 'totp', extra: true }, 400)).code).toBe('VALIDATION_FAILED');
    expect((await issue({}, 400)).code).toBe('VALIDATION_FAILED');
    const nobody = await call('POST', '/users/nobody/authenticators', admin, { type: 'totp' });
    expect(nobody.statusCode).toBe(404);
    const tooLong = await call('GET', `/users/${'x'.repeat(65)}/authenticators`, admin);
    expect(tooLong.statusCode).toBe(400);
    expect((await call('GET', '/users/nobody/authenticators', admin)).statusCode).toBe(404);
    expect((await call('GET', '/authenticators/nobody', admin)).statusCode).toBe(404);
  });
});
