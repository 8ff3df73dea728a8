import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { drainJobs } from './support/lifecycle.js';
import { urlsIn } from './support/links.js';
import { issueTotp } from './support/people.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';

/** Bulk onboarding: `POST /api/v1/groups/{name}/invite` invites everyone in the group who has not enrolled. */
describe.each(DIALECTS)('bulk group invitation on %s', (dialect) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let admin: string;

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
    app = await rt.app();
    admin = await rt.token('admin');
  });
  afterAll(() => rt.dispose());

  const post = (url: string, token = admin) =>
    app.inject({ method: 'POST', url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` } });
  const person = (username: string, email: string | null) =>
    rt.services.identity.create({ label: 'test' }, { username, email, groups: ['Onboarding'] });

  it('invites those without a factor, opening a requirement where none is open; skips the enrolled, the address-less and leavers', async () => {
    const setRule = (enabled: number) =>
      rt.ctx.store.db
        .updateTable('lifecycle_rules')
        .set({ enabled })
        .where('id', '=', 'default-joiner')
        .execute();
    await setRule(0); // people who joined before the rules existed
    const before = await person('pre-rule', 'pre-rule@example.org');
    await setRule(1);
    const pending = await person('pending-pat', 'pat@example.org');
    const enrolled = await person('enrolled-eve', 'eve@example.org');
    const totp = await issueTotp(rt, enrolled.id, admin);
    await rt.services.validation.validate({ label: 'test' }, 'enrolled-eve', totp.code());
    await person('no-mail', null);
    const gone = await person('gone-gus', 'gus@example.org');
    await rt.services.identity.setStatus({ label: 'test' }, gone.id, 'deprovisioned');
    await drainJobs(rt);
    // Sent before the invitation (all at one ManualClock instant, so told apart by id, not order).
    const sentBefore = new Set((await rt.services.outbox.list(100)).map((m) => m.id));

    const res = await post('/groups/onboarding/invite');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      group: 'Onboarding',
      members: 5,
      invited: 2,
      requirementsOpened: 1,
      alreadyEnrolled: 1,
      noEmail: 1,
      inactive: 1,
      notRequired: 0,
    });
    expect((await rt.services.lifecycle.requirementsOf(before.id))[0]).toMatchObject({
      status: 'open',
      reason: 'joiner',
    });
    await drainJobs(rt);
    const fresh = (await rt.services.outbox.list(100)).filter((m) => !sentBefore.has(m.id));
    expect(fresh.map((m) => m.to).sort()).toEqual(['pat@example.org', 'pre-rule@example.org']);
    for (const m of fresh) {
      const links = urlsIn(m.text);
      expect(links).toHaveLength(1);
      expect((await app.inject({ url: new URL(links[0]!).pathname })).statusCode).toBe(200);
    }
    expect(
      (await rt.services.lifecycle.requirementsOf(pending.id)).filter((r) => r.status === 'open'),
    ).toHaveLength(1);
  });

  it('an unknown group is 404; only admins may invite', async () => {
    const unknown = await post('/groups/nobody-here/invite');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('NOT_FOUND');
    expect((await post('/groups/onboarding/invite', await rt.token('helpdesk'))).statusCode).toBe(403);
  });
});
