import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { appFromQrPage, drainJobs, enrolThroughLink, postForm } from './support/lifecycle.js';
import { hrefsIn, urlsIn } from './support/links.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';
import { type Json, scimClient } from './support/scim.js';
import { startSmtpServer, type TestSmtpServer } from './support/smtp-server.js';

const PUBLIC_URL = 'https://id.example.org';
const DAY = 24 * 60 * 60 * 1000;

/**
 * Journey 1, the joiner: SCIM creates the person → the joiner rule opens a requirement with a
 * deadline → an invitation with one single-use link goes out over a real SMTP exchange → the
 * link leads into TOTP enrolment (QR + key, confirmed by a code), then recovery codes, once →
 * the requirement is met → the same link is refused.
 */
describe.each(DIALECTS)('the joiner on %s', (dialect) => {
  let smtp: TestSmtpServer;
  let rt: TestRuntime;
  let app: FastifyInstance;
  let scim: ReturnType<typeof scimClient>;
  let admin: string;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    rt = await createTestRuntime(dialect, {
      env: { SMTP_URL: smtp.url, PUBLIC_URL, PORTCULLIS_ORG_NAME: 'Example Corp' },
    });
    app = await rt.app();
    scim = scimClient(app, await rt.token('scim'));
    admin = await rt.token('admin');
  });
  afterAll(async () => {
    await rt?.dispose();
    await smtp?.close();
  });

  const api = (url: string) =>
    app.inject({ url: `/api/v1${url}`, headers: { authorization: `Bearer ${admin}` } });
  const mailTo = (address: string) =>
    smtp.messages.filter((m) => [m.to].flat().some((a) => a?.text === address));

  async function scimJoiner(userName: string): Promise<string> {
    const res = await scim('POST', '/Users', {
      userName,
      displayName: `${userName} Newhire`,
      emails: [{ value: `${userName}@example.org`, type: 'work', primary: true }],
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  }

  /** The one link of the person's newest mail, checked: exactly one, under PUBLIC_URL, the same in both parts. */
  function onlyLink(address: string): string {
    const mails = mailTo(address);
    expect(mails.length).toBeGreaterThan(0);
    const mail = mails[mails.length - 1]!;
    const links = urlsIn(mail.text ?? '');
    expect(links).toHaveLength(1);
    expect(hrefsIn(String(mail.html))).toEqual(links);
    expect(links[0]!.startsWith(`${PUBLIC_URL}/enroll/`)).toBe(true);
    return links[0]!;
  }

  it('SCIM create → requirement + invitation mail → enrol TOTP through the link → met; the link works once', async () => {
    const created = rt.clock.now();
    const id = await scimJoiner('jo-iner');
    const [req] = (await api(`/users/${id}/requirements`)).json().requirements as Json[];
    expect(req).toMatchObject({ reason: 'joiner', status: 'open', phishingResistant: false, metAt: null });
    expect(req!.requiredTypes).toEqual(['totp', 'hotp', 'webauthn']);
    expect(Date.parse(req!.deadline)).toBe(created + 14 * DAY);

    expect(await drainJobs(rt)).toBeGreaterThanOrEqual(1);
    const mails = mailTo('jo-iner@example.org');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe('Set up your second sign-in factor for Example Corp');
    const link = onlyLink('jo-iner@example.org');
    const token = link.split('/enroll/')[1]!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
    // Only the hash is stored.
    const stored = await rt.ctx.store.db.selectFrom('enrolment_invitations').select('token_hash').execute();
    expect(stored.map((r) => r.token_hash)).not.toContain(token);

    const path = new URL(link).pathname;
    const { landing, qr, done, code } = await enrolThroughLink(rt, path);
    expect(landing.body).toContain('jo-iner Newhire');
    expect(landing.headers['referrer-policy']).toBe('no-referrer');
    expect(qr.body).toMatch(/<img class="qr" src="data:image\/svg\+xml;base64,/);
    expect(done.statusCode, done.body).toBe(200);
    expect(done.body).toContain('Two-step verification is set up');
    expect([...done.body.matchAll(/<li><code>([A-Z0-9-]+)<\/code><\/li>/g)].length).toBeGreaterThanOrEqual(8);

    const [met] = (await api(`/users/${id}/requirements`)).json().requirements as Json[];
    expect(met).toMatchObject({ status: 'met' });
    expect(Date.parse(met!.metAt)).toBe(rt.clock.now());
    const factors = (await api(`/users/${id}/authenticators`)).json() as Json[];
    const totp = factors.find((f) => f.type === 'totp');
    expect(totp).toMatchObject({ state: 'active' });
    expect(met!.metByAuthenticatorId).toBe(totp!.id);
    expect(factors.find((f) => f.type === 'recovery_codes')).toMatchObject({ state: 'active' });

    // The same link again: refused, and nothing can be started or confirmed through it.
    const again = await app.inject({ url: path });
    expect(again.statusCode).toBe(410);
    expect((await postForm(app, `${path}/totp`)).statusCode).toBe(410);
    rt.clock.advance(30_000);
    expect((await postForm(app, `${path}/confirm`, { code: code() })).statusCode).toBe(410);
    const audit = (await rt.services.audit.forSubject(id)).map((e) => e.action);
    expect(audit).toEqual(
      expect.arrayContaining([
        'lifecycle.requirement_opened',
        'enrolment.invitation_used',
        'lifecycle.requirement_met',
      ]),
    );
  });

  it('an unknown or malformed link is 404; an expired one 410; a wrong code keeps the link and counts a failure', async () => {
    expect((await app.inject({ url: '/enroll/nope' })).statusCode).toBe(404);
    expect((await app.inject({ url: `/enroll/${'A'.repeat(43)}` })).statusCode).toBe(404);
    const id = await scimJoiner('late-lou');
    await drainJobs(rt);
    const path = new URL(onlyLink('late-lou@example.org')).pathname;
    const qr = await postForm(app, `${path}/totp`);
    const code = appFromQrPage(rt, qr.body);
    const wrong = await postForm(app, `${path}/confirm`, { code: code() === '000000' ? '111111' : '000000' });
    expect(wrong.statusCode).toBe(200);
    expect(wrong.body).toContain('That code did not work');
    const user = await rt.ctx.store.db
      .selectFrom('users')
      .select('failed_attempts')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(user.failed_attempts).toBe(1);
    rt.clock.advance(15 * DAY);
    expect((await app.inject({ url: path })).statusCode).toBe(410);
    expect((await postForm(app, `${path}/confirm`, { code: code() })).statusCode).toBe(410);
  });
});
