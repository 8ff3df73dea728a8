import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXCEPTION_SWEEP } from '../src/policy/exception-sweep.js';
import { DIALECTS } from './support/databases.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';

const DAY = 24 * 60 * 60 * 1000;

/** Policies and exceptions through the admin API (issue 5): precedence, explain, exception lifecycle, roles. */
describe.each(DIALECTS)('policy and exceptions on %s', (dialect) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  const tok: Record<string, string> = {};
  let ops: { id: string };
  let owner: { id: string };

  const call = (role: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${tok[role]}` },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const iso = (ms: number) => new Date(ms).toISOString();
  const count = async (table: 'policies' | 'policy_exceptions') =>
    Number(
      (
        await rt.ctx.store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
    app = await rt.app();
    for (const role of ['admin', 'helpdesk', 'approver', 'auditor']) tok[role] = await rt.token(role);
    // These tests start from an installation without policies (migration 0010 seeds one for admins).
    await rt.ctx.store.db.deleteFrom('policies').execute();
    ops = await rt.services.identity.create(
      { label: 'test' },
      { username: 'pol-ops', email: 'pol-ops@example.org', groups: ['Admins'] },
    );
    owner = await rt.services.identity.create(
      { label: 'test' },
      { username: 'pol-owner', email: 'owner@example.org', displayName: 'Olga Owner' },
    );
  });
  afterAll(async () => rt?.dispose());

  it('declares the roles of every policy route (the role matrix in roles.test.ts calls each one)', () => {
    const mine = app.apiRouteTable
      .filter((r) => /^\/api\/v1\/(policies|policy|exceptions)/.test(r.url))
      .map((r) => `${r.method} ${r.url} ${[...r.roles].sort().join(',')}`)
      .sort();
    expect(mine).toEqual([
      'DELETE /api/v1/policies/:id admin',
      'GET /api/v1/exceptions admin,approver,auditor',
      'GET /api/v1/policies admin,auditor',
      'GET /api/v1/policies/:id admin,auditor',
      'GET /api/v1/policy/coverage admin,auditor',
      'GET /api/v1/policy/explain admin,auditor,helpdesk',
      'POST /api/v1/exceptions approver',
      'POST /api/v1/exceptions/:id/revoke approver',
      'POST /api/v1/policies admin',
      'PUT /api/v1/policies/:id admin',
    ]);
  });

  it('admins create, change and delete policies (audited); help desk may not; auditors read', async () => {
    const body = { name: 'admins-aal3', targetKind: 'group', target: 'admins', rules: { aal: 3 } };
    expect((await call('helpdesk', 'POST', '/policies', body)).statusCode).toBe(403);
    const created = await call('admin', 'POST', '/policies', body);
    expect(created.statusCode).toBe(201);
    const p = created.json() as { id: string; version: number };
    expect((await call('admin', 'POST', '/policies', body)).json().code).toBe('CONFLICT');
    const listed = await call('auditor', 'GET', '/policies');
    expect(listed.json().policies.map((x: { name: string }) => x.name)).toEqual(['admins-aal3']);
    expect((await call('helpdesk', 'PUT', `/policies/${p.id}`, body)).statusCode).toBe(403);
    const updated = await call('admin', 'PUT', `/policies/${p.id}`, {
      ...body,
      rules: { aal: 3, graceDays: 2 },
    });
    expect(updated.json()).toMatchObject({ version: 2, rules: { aal: 3, graceDays: 2 } });
    const temp = (
      await call('admin', 'POST', '/policies', { name: 'temp', targetKind: 'default', rules: {} })
    ).json();
    expect((await call('helpdesk', 'DELETE', `/policies/${temp.id}`)).statusCode).toBe(403);
    expect((await call('admin', 'DELETE', `/policies/${temp.id}`)).statusCode).toBe(204);
    expect((await call('admin', 'DELETE', `/policies/${temp.id}`)).json().code).toBe('NOT_FOUND');
    const actions = (await rt.services.audit.forSubject(p.id)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['policy.created', 'policy.updated']));
    expect((await rt.services.audit.forSubject(temp.id)).map((e) => e.action)).toContain('policy.deleted');
  });

  it('refuses a bad policy with a 400 naming the field, writing nothing', async () => {
    const before = await count('policies');
    for (const bad of [
      { name: 'x', targetKind: 'group', rules: { aal: 3 } }, // a group policy needs its target
      { name: 'x', targetKind: 'default', target: null, rules: { aal: 4 } },
      { name: 'x', targetKind: 'default', target: null, rules: { allowedTypes: ['sms'] } },
      { name: 'x', targetKind: 'default', target: null, rules: {}, extra: 1 },
    ]) {
      const res = await call('admin', 'POST', '/policies', bad);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
    expect(await count('policies')).toBe(before);
  });

  it('explains the requirement to admins, help desk and auditors, naming the rules applied', async () => {
    const res = await call('helpdesk', 'GET', `/policy/explain?user=pol-ops`);
    expect(res.statusCode).toBe(200);
    const e = res.json();
    expect(e.requirement.aal).toBe(3);
    expect(e.requirement.graceDays).toBe(2);
    expect(e.policies.map((p: { name: string }) => p.name)).toEqual(['admins-aal3']);
    expect(e.explanation.join('\n')).toContain(
      'aal = 3: strictest of the applicable policies (policy "admins-aal3")',
    );
    expect((await call('approver', 'GET', `/policy/explain?user=pol-ops`)).statusCode).toBe(403);
    expect((await call('auditor', 'GET', `/policy/explain?user=nobody`)).json().code).toBe('NOT_FOUND');
  });

  it('grants need role approver and a mandatory expiry within the policy limit; else 400 and nothing written', async () => {
    const now = rt.clock.now();
    const base = {
      userId: ops.id,
      waives: { aal: 2 },
      owner: 'pol-owner',
      reason: 'waiting for a key',
      ticket: 'IT-1',
    };
    expect(
      (await call('helpdesk', 'POST', '/exceptions', { ...base, expiresAt: iso(now + DAY) })).statusCode,
    ).toBe(403);
    expect(
      (await call('admin', 'POST', '/exceptions', { ...base, expiresAt: iso(now + DAY) })).statusCode,
    ).toBe(403);
    const noExpiry = await call('approver', 'POST', '/exceptions', base);
    expect(noExpiry.statusCode).toBe(400);
    const tooLong = await call('approver', 'POST', '/exceptions', {
      ...base,
      expiresAt: iso(now + 31 * DAY),
    });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json().code).toBe('VALIDATION_FAILED');
    const past = await call('approver', 'POST', '/exceptions', { ...base, expiresAt: iso(now - 1000) });
    expect(past.statusCode).toBe(400);
    const noRule = await call('approver', 'POST', '/exceptions', {
      ...base,
      waives: {},
      expiresAt: iso(now + DAY),
    });
    expect(noRule.statusCode).toBe(400);
    // A policy may lower the limit.
    await call('admin', 'POST', '/policies', {
      name: 'short-exceptions',
      targetKind: 'default',
      target: null,
      rules: { maxExceptionDays: 5 },
    });
    const overPolicy = await call('approver', 'POST', '/exceptions', {
      ...base,
      expiresAt: iso(now + 6 * DAY),
    });
    expect(overPolicy.statusCode).toBe(400);
    expect(await count('policy_exceptions')).toBe(0);
    const id = (await call('admin', 'GET', '/policies'))
      .json()
      .policies.find((p: { name: string }) => p.name === 'short-exceptions').id;
    await call('admin', 'DELETE', `/policies/${id}`);
  });

  it('an exception applies, is audited when used, warns its owner at 7 and 1 days, and stops at expiry', async () => {
    const start = rt.clock.now();
    const expiresAt = start + 10 * DAY;
    const granted = await call('approver', 'POST', '/exceptions', {
      userId: ops.id,
      waives: { aal: 2 },
      owner: owner.id,
      reason: 'security key on order',
      ticket: 'IT-42',
      expiresAt: iso(expiresAt),
    });
    expect(granted.statusCode, granted.body).toBe(201);
    const x = granted.json() as { id: string; status: string };
    expect(x.status).toBe('active');
    // A real decision applies it and audits its use; explain does not count as a use.
    expect((await rt.services.policy.requirementFor(ops.id, null, { label: 'test' })).requirement.aal).toBe(
      2,
    );
    const used = () =>
      rt.services.audit
        .forSubject(ops.id)
        .then((ev) => ev.filter((e) => e.action === 'policy.exception_used'));
    expect((await used()).map((e) => e.details.exception)).toEqual([x.id]);
    await call('admin', 'GET', `/policy/explain?user=${ops.id}`);
    expect(await used()).toHaveLength(1);
    // The grant started the hourly sweep, one job per slot.
    const sweepJobs = () => rt.services.jobs.list({ kind: EXCEPTION_SWEEP });
    expect(await sweepJobs()).toHaveLength(1);

    const worker = rt.services.jobs.worker({ workerId: 'policy-test' });
    const drain = async () => {
      for (let i = 0; i < 50 && (await worker.runOnce()) > 0; i++);
    };
    const outbox = async () =>
      (await call('admin', 'GET', '/outbox')).json() as Array<{ to: string; subject: string; text: string }>;
    // Nothing to say at 8 days left.
    rt.clock.set(expiresAt - 8 * DAY);
    expect(await rt.services.policies.sweep.run()).toEqual({ expired: 0, notices: 0 });
    // 7 days left: one notice to the owner, however often the sweep runs.
    rt.clock.set(expiresAt - 7 * DAY);
    expect((await rt.services.policies.sweep.run()).notices).toBe(1);
    expect((await rt.services.policies.sweep.run()).notices).toBe(0);
    await drain();
    let mails = (await outbox()).filter(
      (m) => m.to === 'owner@example.org' && m.subject.includes('policy exception'),
    );
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain('pol-ops');
    expect(mails[0]!.text).toContain(`/console/exceptions/${x.id}`);
    // 1 day left: the second notice.
    rt.clock.set(expiresAt - DAY);
    expect((await rt.services.policies.sweep.run()).notices).toBe(1);
    await drain();
    mails = (await outbox()).filter(
      (m) => m.to === 'owner@example.org' && m.subject.includes('policy exception'),
    );
    expect(mails).toHaveLength(2);
    expect(
      (await call('auditor', 'GET', '/exceptions?status=expiring'))
        .json()
        .exceptions.map((e: { id: string }) => e.id),
    ).toEqual([x.id]);

    // At expiry it stops granting at once, before any sweep; it is then overdue until swept.
    rt.clock.set(expiresAt);
    expect((await rt.services.policy.requirementFor(ops.id, null, { label: 'test' })).requirement.aal).toBe(
      3,
    );
    expect(await used()).toHaveLength(1);
    const overdue = (await call('admin', 'GET', '/exceptions?status=overdue')).json().exceptions;
    expect(overdue.map((e: { id: string }) => e.id)).toEqual([x.id]);
    expect((await rt.services.policies.sweep.run()).expired).toBe(1);
    expect((await call('admin', 'GET', '/exceptions?status=overdue')).json().exceptions).toEqual([]);
    const all = (await call('admin', 'GET', '/exceptions?status=all')).json().exceptions;
    expect(all[0]).toMatchObject({ id: x.id, status: 'expired' });
    const actions = (await rt.services.audit.forSubject(ops.id)).map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'policy.exception_granted',
        'policy.exception_notice',
        'policy.exception_expired',
      ]),
    );
  });

  it('the sweep job re-enqueues itself for the next hour while exceptions are live; revoke ends one at once', async () => {
    const now = rt.clock.now();
    const x = (
      await call('approver', 'POST', '/exceptions', {
        groupName: 'admins',
        waives: { phishingResistant: false },
        owner: 'owner@example.org',
        reason: 'pilot',
        expiresAt: iso(now + 3 * DAY),
      })
    ).json() as { id: string };
    const keys = async () =>
      (
        await rt.ctx.store.db
          .selectFrom('jobs')
          .select('idempotency_key')
          .where('kind', '=', EXCEPTION_SWEEP)
          .execute()
      ).map((j) => j.idempotency_key);
    const before = await keys();
    rt.clock.advance(60 * 60 * 1000);
    const worker = rt.services.jobs.worker({ workerId: 'sweep-test' });
    await worker.runOnce();
    const after = await keys();
    expect(after.length).toBe(before.length + 1);
    const slot = Math.floor(rt.clock.now() / (60 * 60 * 1000)) + 1;
    expect(after).toContain(`${EXCEPTION_SWEEP}:${slot}`);
    expect((await call('admin', 'POST', `/exceptions/${x.id}/revoke`, {})).statusCode).toBe(403);
    const revoked = await call('approver', 'POST', `/exceptions/${x.id}/revoke`, { reason: 'pilot over' });
    expect(revoked.json()).toMatchObject({ status: 'revoked' });
    expect((await call('approver', 'POST', `/exceptions/${x.id}/revoke`, {})).json().code).toBe(
      'INVALID_STATE',
    );
    expect((await call('approver', 'POST', '/exceptions/nope/revoke', {})).json().code).toBe('NOT_FOUND');
  });

  it('reports coverage to admins and auditors only', async () => {
    expect((await call('helpdesk', 'GET', '/policy/coverage')).statusCode).toBe(403);
    const res = await call('auditor', 'GET', '/policy/coverage');
    expect(res.statusCode).toBe(200);
    // No OIDC client registered here: no pairs to cover, two live people.
    expect(res.json().totals).toEqual({ people: 2, applications: 0, pairs: 0, covered: 0, uncovered: 0 });
  });
});
