import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { createPerson } from './support/people.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';

type Json = Record<string, unknown>;

/** Lifecycle and role checks on the authenticator routes, as a help desk and its tools use them. */
describe.each(DIALECTS)('authenticator lifecycle over HTTP on %s', (dialect) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  const tokens: Record<string, string> = {};
  let userId: string;

  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, role: string | null, payload?: Json) =>
    app.inject({
      method,
      url: `/api/v1${url}`,
      headers: role ? { authorization: `Bearer ${tokens[role]}` } : {},
      ...(payload ? { payload } : {}),
    });
  const issueTotp = async () => {
    const res = await call('POST', `/users/${userId}/authenticators`, 'admin', { type: 'totp' });
    expect(res.statusCode).toBe(201);
    return res.json() as { id: string; secret: string };
  };

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
    app = await rt.app();
    for (const role of ['admin', 'helpdesk', 'auditor', 'approver', 'validator', 'scim']) {
      tokens[role] = await rt.token(role);
    }
    userId = (await createPerson(rt, 'bruno')).id;
  });
  afterAll(async () => rt?.dispose());

  it('only admins issue: every other role gets 403, no token 401, and nothing is written', async () => {
    for (const role of ['helpdesk', 'auditor', 'approver', 'validator', 'scim']) {
      const res = await call('POST', `/users/${userId}/authenticators`, role, { type: 'access_pass' });
      expect(res.statusCode, role).toBe(403);
    }
    expect((await call('POST', `/users/${userId}/authenticators`, null, { type: 'totp' })).statusCode).toBe(
      401,
    );
    expect((await call('GET', `/users/${userId}/authenticators`, 'admin')).json()).toEqual([]);
  });

  it('validator, scim and approver tokens cannot read authenticators', async () => {
    const { id } = await issueTotp();
    for (const role of ['validator', 'scim', 'approver']) {
      expect((await call('GET', `/users/${userId}/authenticators`, role)).statusCode, role).toBe(403);
      expect((await call('GET', `/authenticators/${id}`, role)).statusCode, role).toBe(403);
    }
  });

  it('revoke answers 200 with the view; a second revoke is 409 INVALID_STATE', async () => {
    const { id } = await issueTotp();
    const first = await call('POST', `/authenticators/${id}/revoke`, 'helpdesk', {
      reason: 'phone replaced',
    });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ id, state: 'revoked', stateReason: 'phone replaced' });
    const again = await call('POST', `/authenticators/${id}/revoke`, 'admin', { reason: 'again' });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'INVALID_STATE' });
  });

  it('revoke needs a reason, a known id, and an operator role', async () => {
    const { id } = await issueTotp();
    expect((await call('POST', `/authenticators/${id}/revoke`, 'admin', {})).statusCode).toBe(400);
    expect((await call('POST', `/authenticators/${id}/revoke`, 'admin', { reason: '' })).statusCode).toBe(
      400,
    );
    expect((await call('POST', '/authenticators/nope/revoke', 'admin', { reason: 'x' })).statusCode).toBe(
      404,
    );
    expect((await call('POST', `/authenticators/${id}/revoke`, 'auditor', { reason: 'x' })).statusCode).toBe(
      403,
    );
    expect((await call('GET', `/authenticators/${id}`, 'auditor')).json()).toMatchObject({
      state: 'pending',
    });
  });

  it('suspend, reactivate, lost: allowed moves answer 200, forbidden ones 409', async () => {
    const { id } = await issueTotp();
    const step = async (path: string, status: number, state?: string) => {
      const res = await call('POST', `/authenticators/${id}/${path}`, 'helpdesk');
      expect(res.statusCode, `${path}: ${res.body}`).toBe(status);
      if (state) expect(res.json()).toMatchObject({ state });
    };
    await step('reactivate', 409);
    await step('suspend', 200, 'suspended');
    await step('suspend', 409);
    await step('reactivate', 200, 'pending');
    await step('lost', 200, 'lost');
    await step('reactivate', 409);
    await step('suspend', 409);
    const withReason = await call('POST', `/authenticators/${id}/revoke`, 'helpdesk', {
      reason: 'lost for good',
    });
    expect(withReason.json()).toMatchObject({ state: 'revoked' });
    const badBody = await call('POST', `/authenticators/${id}/suspend`, 'helpdesk', {
      reason: 'x',
      extra: 1,
    });
    expect(badBody.statusCode).toBe(400);
  });

  it('renames (admin only), clears the name with null, refuses unknown fields', async () => {
    const { id } = await issueTotp();
    const renamed = await call('PATCH', `/authenticators/${id}`, 'admin', { name: 'Work phone' });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ id, name: 'Work phone' });
    expect((await call('PATCH', `/authenticators/${id}`, 'admin', { name: null })).json()).toMatchObject({
      name: null,
    });
    expect((await call('PATCH', `/authenticators/${id}`, 'helpdesk', { name: 'x' })).statusCode).toBe(403);
    expect(
      (await call('PATCH', `/authenticators/${id}`, 'admin', { name: 'x', state: 'active' })).statusCode,
    ).toBe(400);
    expect((await call('PATCH', '/authenticators/nope', 'admin', { name: 'x' })).statusCode).toBe(404);
  });

  it('every write is in the person history, with no secret in it', async () => {
    const { id, secret } = await issueTotp();
    await call('POST', `/authenticators/${id}/suspend`, 'helpdesk', { reason: 'travel' });
    await call('POST', `/authenticators/${id}/revoke`, 'helpdesk', { reason: 'done' });
    const history = await call('GET', `/users/${userId}/history`, 'auditor');
    const events = (history.json() as { events: Array<{ action: string; details: Json; actor: string }> })
      .events;
    const mine = events.filter((e) => e.details.authenticatorId === id);
    expect(mine.map((e) => e.action).reverse()).toEqual([
      'authenticator.issued',
      'authenticator.suspended',
      'authenticator.revoked',
    ]);
    expect(mine[0]?.actor).toBe('token:helpdesk-test(helpdesk)');
    expect(history.body).not.toContain(secret);
  });
});
