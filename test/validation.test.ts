import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { createPerson, issueHotp, issueTotp } from './support/people.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';

describe.each(DIALECTS)('POST /api/v1/validate on %s', (dialect) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let admin: string;
  let validator: string;

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
    app = await rt.app();
    admin = await rt.token('admin');
    validator = await rt.token('validator');
  });
  afterAll(() => rt.dispose());

  const validate = (username: string, code: string, token = validator) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/validate',
      headers: { authorization: `Bearer ${token}` },
      payload: { username, code },
    });

  const auditCount = async () =>
    (await rt.services.audit.verify()).ok &&
    (
      await rt.ctx.store.db
        .selectFrom('audit_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n;

  it('accepts a fresh TOTP code once, activating the pending authenticator', async () => {
    const p = await createPerson(rt, 'val-alice');
    const t = await issueTotp(rt, p.id, admin);
    expect(t.state).toBe('pending');
    const code = t.code();
    expect((await validate('val-alice', code)).json()).toEqual({ result: 'accept' });
    expect((await validate('VAL-ALICE', code)).json()).toEqual({ result: 'reject' });
    const list = await app.inject({
      url: `/api/v1/users/${p.id}/authenticators`,
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(JSON.stringify(list.json())).toContain('"active"');
    // The previous step's code is older than the accepted one: refused (no going back).
    expect((await validate('val-alice', t.code(-1))).json()).toEqual({ result: 'reject' });
    rt.clock.advance(30_000);
    expect((await validate('val-alice', t.code())).json()).toEqual({ result: 'accept' });
  });

  it('accepts codes within ±1 step only', async () => {
    const p = await createPerson(rt, 'val-window');
    const t = await issueTotp(rt, p.id, admin);
    expect((await validate('val-window', t.code(2))).json()).toEqual({ result: 'reject' });
    expect((await validate('val-window', t.code(1))).json()).toEqual({ result: 'accept' });
  });

  it('accepts one code exactly once under 50 concurrent requests', async () => {
    const p = await createPerson(rt, 'val-race');
    const t = await issueTotp(rt, p.id, admin);
    const code = t.code();
    const answers = await Promise.all(Array.from({ length: 50 }, () => validate('val-race', code)));
    const results = answers.map((a) => (a.json() as { result: string }).result);
    expect(results.filter((r) => r === 'accept')).toHaveLength(1);
    expect(answers.every((a) => a.statusCode === 200 || a.statusCode === 429)).toBe(true);
  });

  it('gives unknown, factor-less and suspended people the same reject', async () => {
    const bare = await createPerson(rt, 'val-bare');
    const sus = await createPerson(rt, 'val-suspended');
    const t = await issueTotp(rt, sus.id, admin);
    await rt.services.identity.setStatus({ label: 'test' }, sus.id, 'suspended');
    const answers = [
      await validate('nobody-here', '123456'),
      await validate(bare.username, '123456'),
      await validate(sus.username, t.code()),
    ];
    for (const a of answers) {
      expect(a.statusCode).toBe(200);
      expect(a.body).toBe('{"result":"reject"}');
    }
  });

  it('HOTP: accepts within the look-ahead and moves the counter past the match', async () => {
    const p = await createPerson(rt, 'val-hotp');
    const h = await issueHotp(rt, p.id, admin, 0);
    expect((await validate('val-hotp', h.code(11))).json()).toEqual({ result: 'reject' });
    expect((await validate('val-hotp', h.code(3))).json()).toEqual({ result: 'accept' });
    expect((await validate('val-hotp', h.code(3))).json()).toEqual({ result: 'reject' });
    expect((await validate('val-hotp', h.code(2))).json()).toEqual({ result: 'reject' });
    expect((await validate('val-hotp', h.code(4))).json()).toEqual({ result: 'accept' });
  });

  it('throttles after the free failures: 429 with Retry-After, no write, and a right code refused', async () => {
    const p = await createPerson(rt, 'val-throttle');
    const t = await issueTotp(rt, p.id, admin);
    for (let i = 0; i < 10; i++) expect((await validate('val-throttle', '000000')).statusCode).toBe(200);
    const before = await auditCount();
    const locked = await validate('val-throttle', t.code());
    expect(locked.statusCode).toBe(429);
    expect(locked.headers['content-type']).toContain('application/problem+json');
    expect(Number(locked.headers['retry-after'])).toBe(30);
    expect((locked.json() as { code: string }).code).toBe('THROTTLED');
    expect(await auditCount()).toBe(before);
    rt.clock.advance(31_000);
    // One more failure after the lock doubles it; a success resets the count.
    expect((await validate('val-throttle', '000000')).json()).toEqual({ result: 'reject' });
    expect(Number((await validate('val-throttle', t.code())).headers['retry-after'])).toBe(60);
    rt.clock.advance(61_000);
    expect((await validate('val-throttle', t.code())).json()).toEqual({ result: 'accept' });
    const row = await rt.ctx.store.db
      .selectFrom('users')
      .select(['failed_attempts', 'locked_until'])
      .where('id', '=', p.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ failed_attempts: 0, locked_until: null });
  });

  it('a concurrent burst of wrong codes cannot slip past the limit', async () => {
    const p = await createPerson(rt, 'val-burst');
    const t = await issueTotp(rt, p.id, admin);
    const burst = await Promise.all(
      Array.from({ length: 100 }, (_, i) => validate('val-burst', String(100000 + i))),
    );
    expect(burst.every((a) => a.statusCode === 200 || a.statusCode === 429)).toBe(true);
    const row = await rt.ctx.store.db
      .selectFrom('users')
      .select(['failed_attempts', 'locked_until'])
      .where('id', '=', p.id)
      .executeTakeFirstOrThrow();
    expect(row.failed_attempts).toBe(10);
    expect(row.locked_until).toBeGreaterThan(rt.clock.now());
    expect((await validate('val-burst', t.code())).statusCode).toBe(429);
  });

  it('audits every attempt without the code', async () => {
    const p = await createPerson(rt, 'val-audit');
    const t = await issueTotp(rt, p.id, admin);
    const code = t.code();
    await validate('val-audit', code);
    await validate('val-audit', '999999');
    const events = await rt.services.audit.forSubject(p.id);
    const actions = events.map((e) => e.action);
    expect(actions).toContain('validation.accepted');
    expect(actions).toContain('validation.rejected');
    expect(JSON.stringify(events)).not.toContain(code);
    expect(JSON.stringify(events)).not.toContain('999999');
  });

  it('refuses malformed bodies with 400 problem+json and wrong roles with 403', async () => {
    for (const payload of [
      '{',
      '[]',
      '{"username":1,"code":"1"}',
      '{"username":"a"}',
      '{"username":"a","code":"1","x":1}',
    ]) {
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/validate',
        headers: { authorization: `Bearer ${validator}`, 'content-type': 'application/json' },
        payload,
      });
      expect(r.statusCode).toBe(400);
      expect(r.headers['content-type']).toContain('application/problem+json');
    }
    expect((await validate('x', '1', admin)).statusCode).toBe(403);
    expect((await validate('x', '1', 'pcs_nope')).statusCode).toBe(401);
  });
});
