import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { drainJobs } from '../support/lifecycle.js';
import { urlsIn } from '../support/links.js';
import type { TestRuntime } from '../support/runtime.js';
import { type Json, scimClient } from '../support/scim.js';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp-server.js';
import { authorize, relyingParty } from '../support/sso.js';
import {
  aal,
  addVirtualAuthenticator,
  callbackUrl,
  chromiumForFile,
  freshPage,
  screenshot,
  servedRuntime,
} from './support.js';

const chromium = chromiumForFile();

describe.each(DIALECTS)('enrolling a passkey from an invitation link in Chromium on %s', (dialect) => {
  let smtp: TestSmtpServer;
  let rt: TestRuntime & { url: string };

  beforeAll(async () => {
    smtp = await startSmtpServer();
    rt = await servedRuntime(dialect, { env: { SMTP_URL: smtp.url } });
  });
  afterAll(async () => {
    await rt?.dispose();
    await smtp?.close();
  });

  /** A joiner created over SCIM, and the invitation link their mail carries. */
  async function joinerLink(userName: string) {
    const scim = scimClient(await rt.app(), await rt.token('scim'));
    const res = await scim('POST', '/Users', {
      userName,
      displayName: `${userName} Newhire`,
      emails: [{ value: `${userName}@example.org`, type: 'work', primary: true }],
    });
    expect(res.statusCode, res.body).toBe(201);
    await drainJobs(rt);
    const mail = smtp.messages.filter((m) =>
      [m.to].flat().some((a) => a?.text === `${userName}@example.org`),
    );
    const [link] = urlsIn(mail.at(-1)?.text ?? '');
    expect(link?.startsWith(`${rt.url}/enroll/`)).toBe(true);
    return { id: res.json().id as string, link: link! };
  }

  it('offers a passkey beside the app; the passkey made from the link signs in alone at AAL3; the link works once', async () => {
    const { id, link } = await joinerLink('inv-pat');
    const page = await freshPage(chromium.browser);
    const { cdp, authenticatorId } = await addVirtualAuthenticator(page);
    await page.goto(link);
    const passkey = page.getByRole('button', { name: /passkey/i });
    await passkey.waitFor();
    await page.getByRole('button', { name: 'Set up an authenticator app' }).waitFor();
    if (dialect === 'sqlite') await screenshot(page, 'invitation-passkey');
    await passkey.click();
    await page.getByRole('heading', { name: 'Two-step verification is set up' }).waitFor();
    expect(await page.locator('li code').count()).toBeGreaterThanOrEqual(8);
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);

    const admin = await rt.token('admin');
    const app = await rt.app();
    const api = (url: string) =>
      app.inject({ url: `/api/v1${url}`, headers: { authorization: `Bearer ${admin}` } });
    const factors = (await api(`/users/${id}/authenticators`)).json() as Json[];
    expect(factors.find((f) => f.type === 'webauthn')).toMatchObject({ state: 'active' });
    const [requirement] = (await api(`/users/${id}/requirements`)).json().requirements as Json[];
    expect(requirement).toMatchObject({ status: 'met' });
    const events = await rt.services.audit.forSubject(id);
    expect(events.some((e) => e.action === 'enrolment.invitation_used')).toBe(true);

    // The link is spent: opening it again is refused.
    const again = await page.goto(link);
    expect(again?.status()).toBe(410);

    // The passkey signs in on its own (passkey-first) at AAL3.
    const rp = await relyingParty(rt);
    const req = await authorize(rp, { acr_values: aal(3) });
    await page.goto(req.url.href);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const claims = (await req.finish(await callbackUrl(page))).claims()!;
    expect(claims.sub).toBe(id);
    expect(claims.acr).toBe(aal(3));
    await page.context().close();
  });

  it('refuses a passkey answer without user presence, keeps the link usable, and adds nothing', async () => {
    const { id, link } = await joinerLink('inv-neg');
    const page = await freshPage(chromium.browser);
    const { cdp, authenticatorId } = await addVirtualAuthenticator(page);
    await page.goto(link);
    // The answer says no user was present (the UP flag is off): the server must refuse it.
    await cdp.send('WebAuthn.setResponseOverrideBits', { authenticatorId, isBadUP: true });
    await page.getByRole('button', { name: /passkey/i }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('The passkey was not added');
    const admin = await rt.token('admin');
    const factors = (
      await (
        await rt.app()
      ).inject({
        url: `/api/v1/users/${id}/authenticators`,
        headers: { authorization: `Bearer ${admin}` },
      })
    ).json() as Json[];
    expect(factors.filter((f) => f.type === 'webauthn')).toHaveLength(0);
    expect((await page.goto(link))?.status()).toBe(200);
    await page.context().close();
  });
});
