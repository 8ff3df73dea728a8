import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { drainJobs, enrolThroughLink } from './support/lifecycle.js';
import { urlsIn } from './support/links.js';
import { apiRequest, mailTo, type TestRuntime } from './support/runtime.js';
import { type Json, scimClient } from './support/scim.js';
import { authorize, Browser, listeningRuntime, relyingParty } from './support/sso.js';

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/**
 * The joiner's clock: reminders on days 1, 3 and 6, the manager told on day 7 (SCIM enterprise
 * `manager`), nothing once the requirement is met; and past the deadline the sign-in refuses a
 * person without a factor, at the requirement's deadline rather than the policy's default.
 */
describe.each(DIALECTS)('reminders, escalation and the deadline on %s', (dialect) => {
  let rt: TestRuntime & { url: string };
  let scim: ReturnType<typeof scimClient>;
  let admin: string;

  beforeAll(async () => {
    rt = await listeningRuntime(dialect);
    scim = scimClient(await rt.app(), await rt.token('scim'));
    admin = await rt.token('admin');
    // The timing is policy's: 14 days to enrol, reminders 13, 11 and 8 days before the deadline (days 1, 3, 6).
    const timing = await api('POST', '/policies', {
      name: 'enrolment timing',
      targetKind: 'default',
      rules: { graceDays: 14, reminderDays: [13, 11, 8] },
    });
    expect(timing.statusCode, timing.body).toBe(201);
  });
  afterAll(() => rt.dispose());

  const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: Json) =>
    apiRequest(rt, admin, method, url, payload);
  const inbox = (address: string) => mailTo(rt, address);
  async function scimUser(userName: string, extra: Json = {}) {
    const res = await scim('POST', '/Users', {
      userName,
      emails: [{ value: `${userName}@example.org` }],
      ...extra,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  }

  it('reminds on days 1, 3 and 6 with a fresh link each, escalates to the manager on day 7, and stops once met', async () => {
    const t0 = rt.clock.now();
    const boss = await scimUser('bo-ss', { displayName: 'Bo Ss' });
    const id = await scimUser('re-mind', {
      displayName: 'Re Mind',
      [ENTERPRISE]: { manager: { value: boss } },
    });
    await drainJobs(rt);
    expect((await inbox('re-mind@example.org')).map((m) => m.subject)).toEqual([
      expect.stringContaining('Set up your second sign-in factor'),
    ]);

    const at = async (days: number) => {
      rt.clock.set(t0 + days * DAY + HOUR);
      await drainJobs(rt);
      return (await inbox('re-mind@example.org')).length;
    };
    expect(await at(0.5)).toBe(1);
    expect(await at(1)).toBe(2);
    expect(await at(2)).toBe(2);
    expect(await at(3)).toBe(3);
    expect(await at(5)).toBe(3);
    expect(await at(6)).toBe(4);
    const mails = await inbox('re-mind@example.org');
    expect(mails.slice(1).every((m) => m.subject.startsWith('Reminder:'))).toBe(true);
    const links = mails.map((m) => urlsIn(m.text));
    for (const l of links) expect(l).toHaveLength(1);
    expect(new Set(links.flat()).size).toBe(4); // each reminder carries its own single-use link

    expect((await inbox('bo-ss@example.org')).filter((m) => m.subject.includes('Re Mind'))).toHaveLength(0);
    await at(7);
    const escalations = (await inbox('bo-ss@example.org')).filter((m) => m.subject.includes('Re Mind'));
    expect(escalations.map((m) => m.subject)).toEqual(['Re Mind has not set up a second sign-in factor']);
    expect(urlsIn(escalations[0]!.text)).toEqual([`${rt.url}/console/people/${id}`]);
    const [req] = (await api('GET', `/users/${id}/requirements`)).json().requirements as Json[];
    expect(req).toMatchObject({ status: 'open', remindersSent: 3 });
    expect(Date.parse(req!.escalatedAt)).toBe(t0 + 7 * DAY + HOUR);

    // The first invitation's link still works until the deadline; enrolling through it ends the reminders.
    const { done } = await enrolThroughLink(rt, new URL(links[0]![0]!).pathname);
    expect(done.statusCode).toBe(200);
    const [met] = (await api('GET', `/users/${id}/requirements`)).json().requirements as Json[];
    expect(met).toMatchObject({ status: 'met', timeToEnrolSeconds: (7 * DAY + HOUR) / 1000 });
    for (const l of links.slice(1))
      expect((await (await rt.app()).inject({ url: new URL(l[0]!).pathname })).statusCode).toBe(410);
    await at(10);
    expect((await inbox('re-mind@example.org')).length).toBe(4);
    // Without a manager the escalation is audited as not sent.
    const bossEvents = await rt.services.audit.forSubject(boss);
    expect(bossEvents.find((e) => e.action === 'lifecycle.escalated')).toMatchObject({
      outcome: 'failure',
      details: { reason: 'no manager' },
    });
  });

  it('the sign-in grace ends at the requirement deadline: enrol-now before it, refused after it', async () => {
    // A stricter policy than the 14 days: 3 days (the reminders all fall before the opening: none).
    const refused = await api('POST', '/lifecycle/rules', {
      name: 'Three days',
      trigger: 'joiner',
      action: { require: ['totp', 'webauthn'], graceDays: 3 },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('set by policy');
    const added = await api('POST', '/policies', {
      name: 'three days',
      targetKind: 'default',
      rules: { graceDays: 3 },
    });
    expect(added.statusCode).toBe(201);
    const t0 = rt.clock.now();
    await scimUser('dead-line', { password: 'Deadline-pass-1' });
    const rp = await relyingParty(rt);
    const passwordStep = async () => {
      const browser = new Browser(rt.url);
      const login = await browser.go((await authorize(rp)).url);
      return browser.submit(login, 'password', { username: 'dead-line', password: 'Deadline-pass-1' });
    };
    rt.clock.set(t0 + 2 * DAY);
    const inside = await passwordStep();
    expect(inside.status).toBe(200);
    expect(inside.body).toContain('Set up two-step verification');
    rt.clock.set(t0 + 3 * DAY + 1);
    const after = await passwordStep();
    expect(after.status).toBe(403);
    expect(after.body).toContain('Two-step verification is required');
  });
});
