import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { drainJobs } from './support/lifecycle.js';
import { urlsIn } from './support/links.js';
import { issueTotp } from './support/people.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';
import { type Json, patchOp, scimClient } from './support/scim.js';

const DAY = 24 * 60 * 60 * 1000;

/**
 * Journey 3, the mover: SCIM changes groups → requirements re-evaluated: entering an admin group
 * opens a phishing-resistant requirement with its own deadline, the TOTP that no longer counts
 * is flagged, the person is pointed at their account page (no enrolment link next to a factor);
 * leaving the group lets the requirement lapse; a rename into a privileged name counts as entry.
 */
describe.each(DIALECTS)('the mover on %s', (dialect) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let scim: ReturnType<typeof scimClient>;
  let admin: string;
  let validator: string;

  beforeAll(async () => {
    rt = await createTestRuntime(dialect, { env: { PUBLIC_URL: 'https://id.example.org' } });
    app = await rt.app();
    scim = scimClient(app, await rt.token('scim'));
    admin = await rt.token('admin');
    validator = await rt.token('validator');
  });
  afterAll(() => rt.dispose());

  const api = (method: 'GET' | 'POST', url: string, token: string, payload?: Json) =>
    app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${token}` },
      ...(payload ? { payload } : {}),
    });
  const requirements = async (id: string) =>
    (await api('GET', `/users/${id}/requirements`, admin)).json().requirements as Json[];

  /** A SCIM person who has enrolled TOTP (so their joiner requirement is met). */
  async function enrolledPerson(userName: string) {
    const res = await scim('POST', '/Users', {
      userName,
      emails: [{ value: `${userName}@example.org`, primary: true }],
    });
    const id = res.json().id as string;
    const totp = await issueTotp(rt, id, admin);
    const v = await api('POST', '/validate', validator, { username: userName, code: totp.code() });
    expect(v.json()).toEqual({ result: 'accept' });
    expect((await requirements(id))[0]).toMatchObject({ reason: 'joiner', status: 'met' });
    return { id, totp };
  }

  it('entering an admin group: a passkey requirement within 7 days, the TOTP flagged, a mail to the account page', async () => {
    const { id, totp } = await enrolledPerson('mo-ver');
    const before = rt.clock.now();
    const group = await scim('POST', '/Groups', { displayName: 'Staff', members: [{ value: id }] });
    expect(group.statusCode).toBe(201);
    expect(await requirements(id)).toHaveLength(1); // "Staff" asks nothing more
    // The admins' grace period is policy's (the rule says what to require): 7 days.
    const admins = await (await rt.app()).inject({
      method: 'POST',
      url: '/api/v1/policies',
      headers: { authorization: `Bearer ${await rt.token('admin')}` },
      payload: {
        name: 'admins enrol in 7 days',
        targetKind: 'group',
        target: 'Domain Admins',
        rules: { graceDays: 7 },
      },
    });
    expect(admins.statusCode, admins.body).toBe(201);
    const patch = await scim('POST', '/Groups', { displayName: 'Domain Admins', members: [] });
    const gid = patch.json().id as string;
    const add = await scim(
      'PATCH',
      `/Groups/${gid}`,
      patchOp({ op: 'add', path: 'members', value: [{ value: id }] }),
    );
    expect(add.statusCode, add.body).toBe(200);

    const mover = (await requirements(id)).find((r) => r.reason === 'mover');
    expect(mover).toMatchObject({
      reason: 'mover',
      status: 'open',
      phishingResistant: true,
      requiredTypes: ['webauthn'],
    });
    expect(Date.parse(mover!.deadline)).toBe(before + 7 * DAY);
    const audit = await rt.services.audit.forSubject(id);
    const flagged = audit.filter((e) => e.action === 'lifecycle.factor_no_longer_counts');
    expect(flagged.map((e) => e.details.authenticatorId)).toEqual([totp.id]);

    await drainJobs(rt);
    const mails = (await rt.services.outbox.list()).filter((m) => m.to === 'mo-ver@example.org');
    const upgrade = mails.find((m) => m.subject.includes('passkey'))!;
    expect(urlsIn(upgrade.text)).toEqual(['https://id.example.org/account']);

    // A second privileged group asks nothing the open requirement does not already ask.
    const priv = await scim('POST', '/Groups', { displayName: 'privileged-ops', members: [{ value: id }] });
    expect(priv.statusCode).toBe(201);
    expect((await requirements(id)).filter((r) => r.status === 'open')).toHaveLength(1);

    // Leaving every group that asked for it: the requirement lapses.
    await scim('PATCH', `/Groups/${gid}`, patchOp({ op: 'remove', path: `members[value eq "${id}"]` }));
    const kept = (await requirements(id)).find((r) => r.reason === 'mover');
    expect(kept).toMatchObject({ status: 'open' }); // still in privileged-ops, which asks as much
    await scim('DELETE', `/Groups/${priv.json().id}`);
    const lapsed = await requirements(id);
    expect(lapsed.find((r) => r.reason === 'mover')).toMatchObject({ status: 'cancelled' });
    expect((await rt.services.audit.forSubject(id)).map((e) => e.action)).toContain(
      'lifecycle.requirement_cancelled',
    );
  });

  it('a group renamed into a privileged name moves its members; a person without a factor gets an enrolment link', async () => {
    const res = await scim('POST', '/Users', {
      userName: 're-named',
      emails: [{ value: 're-named@example.org' }],
    });
    const id = res.json().id as string;
    const g = await scim('POST', '/Groups', { displayName: 'ops', members: [{ value: id }] });
    expect((await requirements(id)).map((r) => r.reason)).toEqual(['joiner']);
    const renamed = await scim(
      'PATCH',
      `/Groups/${g.json().id}`,
      patchOp({ op: 'replace', path: 'displayName', value: 'ops-admins' }),
    );
    expect(renamed.statusCode, renamed.body).toBe(200);
    const reqs = await requirements(id);
    expect(reqs.map((r) => r.reason).sort()).toEqual(['joiner', 'mover']);
    await drainJobs(rt);
    const mails = (await rt.services.outbox.list()).filter((m) => m.to === 're-named@example.org');
    expect(mails).toHaveLength(2);
    for (const m of mails) expect(urlsIn(m.text)[0]).toMatch(/^https:\/\/id\.example\.org\/enroll\//);
  });
});
