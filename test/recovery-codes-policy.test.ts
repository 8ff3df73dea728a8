import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { drainJobs, enrolThroughLink } from './support/lifecycle.js';
import { urlsIn } from './support/links.js';
import { apiRequest, createTestRuntime, type TestRuntime } from './support/runtime.js';

/**
 * A policy without the `recovery_code` path: recovery codes are refused wherever they would be
 * issued (the admin API: 403 POLICY_FORBIDS; after an invitation's enrolment: none, and the page
 * says so, decided before the link is used up), audited, nothing issued.
 */
describe.each(DIALECTS)('a policy that forbids recovery codes on %s', (dialect) => {
  let rt: TestRuntime;
  let admin: string;

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
    admin = await rt.token('admin');
    const policy = await api('POST', '/policies', {
      name: 'no recovery codes',
      targetKind: 'default',
      rules: { recoveryPaths: ['helpdesk', 'access_pass'] },
    });
    expect(policy.statusCode, policy.body).toBe(201);
  });
  afterAll(() => rt.dispose());

  const api = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
    apiRequest(rt, admin, method, url, payload);
  const codeSets = async (userId: string) =>
    (await rt.services.authenticators.list(userId)).filter((a) => a.type === 'recovery_codes');

  it('the admin API answers 403 POLICY_FORBIDS, audited, nothing issued', async () => {
    const person = await api('POST', '/users', { username: 'rc-api', email: 'rc-api@example.org' });
    const id = person.json().id as string;
    const res = await api('POST', `/users/${id}/authenticators`, { type: 'recovery_codes' });
    expect(res.statusCode, res.body).toBe(403);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'POLICY_FORBIDS' });
    expect(res.json().detail ?? res.json().title).toMatch(/recovery codes/);
    expect(await codeSets(id)).toEqual([]);
    const refused = (await rt.services.audit.forSubject(id)).filter(
      (e) => e.action === 'recovery.path_refused',
    );
    expect(refused.at(-1)?.details).toMatchObject({ path: 'recovery_code' });
  });

  it('an invitation enrolment completes without codes, says so, and the link is used up', async () => {
    const person = await api('POST', '/users', { username: 'rc-link', email: 'rc-link@example.org' });
    const id = person.json().id as string;
    await drainJobs(rt);
    const mail = (await rt.services.outbox.list(100)).find((m) => m.to === 'rc-link@example.org');
    const path = new URL(urlsIn(mail!.text)[0]!).pathname;
    const { done } = await enrolThroughLink(rt, path);
    expect(done.statusCode, done.body).toBe(200);
    expect(done.body).toContain('No recovery codes');
    expect(done.body).toContain('does not use recovery codes');
    expect(await codeSets(id)).toEqual([]);
    expect(await rt.services.lifecycle.requirementsOf(id)).toMatchObject([{ status: 'met' }]);
    const again = await (await rt.app()).inject({ method: 'GET', url: path });
    expect(again.statusCode).toBe(410);
  });
});
