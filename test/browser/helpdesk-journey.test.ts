import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBase32, totp } from '../../src/authenticators/otp/index.js';
import { DIALECTS } from '../support/databases.js';
import { issueTotp } from '../support/people.js';
import { authorize } from '../support/sso.js';
import {
  aal,
  callbackUrl,
  chromiumForFile,
  freshPage,
  type ServedSetup,
  screenshot,
  servedSetup,
} from './support.js';

const chromium = chromiumForFile();

/** Issue 5: the help-desk recovery journey end to end, the person's part in Chromium. */
describe.each(DIALECTS)('help-desk journey in Chromium on %s', (dialect) => {
  let { rt, rp } = {} as ServedSetup;

  beforeAll(async () => {
    ({ rt, rp } = await servedSetup(dialect));
  });
  afterAll(() => rt?.dispose());

  const api = async (token: string, method: 'GET' | 'POST', url: string, payload?: object) => {
    const res = await fetch(`${rt.url}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(payload ? { 'content-type': 'application/json' } : {}),
      },
      body: payload ? JSON.stringify(payload) : undefined,
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  it('agent opens, approver approves, the person uses the pass, enrols a new TOTP and reaches the app', async () => {
    const admin = await rt.token('admin');
    const agent = await rt.token('helpdesk', 'hal');
    const approver = await rt.token('approver', 'april');
    const person = await rt.services.identity.create(
      { label: 'test' },
      { username: 'hd-hugo', email: 'hd-hugo@example.org', password: 'hd-hugo password', groups: ['admins'] },
    );
    const old = await issueTotp(rt, person.id, admin);

    // The agent opens the request with the proofing evidence; a privileged person needs a second pair of eyes.
    const opened = await api(agent, 'POST', '/api/v1/recovery-requests', {
      userId: person.id,
      proofingMethod: 'video_call',
      proofingReference: 'INC-9001',
    });
    expect(opened.status).toBe(201);
    expect(opened.json).toMatchObject({ state: 'open', pass: null });
    const approved = await api(approver, 'POST', `/api/v1/recovery-requests/${opened.json.id}/approve`);
    expect(approved.status).toBe(200);
    const pass = (approved.json.pass as { code: string }).code;
    expect((await rt.services.authenticators.get(old.id)).state).toBe('revoked');

    // The person, in the browser: password, then the pass.
    const page = await freshPage(chromium.browser);
    const req = await authorize(rp);
    await page.goto(req.url.href);
    await page.getByLabel('Username').fill('hd-hugo');
    await page.getByLabel('Password').fill('hd-hugo password');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Temporary Access Pass').fill(pass);
    await page.getByRole('button', { name: 'Continue' }).click();

    // Forced to enrol: a new authenticator app, its key read from the page, its code typed in.
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const key = (await page.locator('code').first().textContent())!.replace(/\s/g, '');
    if (dialect === 'sqlite') await screenshot(page, 'helpdesk-journey-enrol');
    const code = totp(decodeBase32(key), rt.clock.now(), { algorithm: 'SHA1', digits: 6, period: 30 });
    await page.getByLabel('Code from the app').fill(code);
    await page.getByRole('button', { name: 'Confirm and continue' }).click();

    // Back at the relying party, at AAL2 from the new factor (never from the pass).
    const claims = (await req.finish(await callbackUrl(page))).claims()!;
    expect(claims.sub).toBe(person.id);
    expect(claims.acr).toBe(aal(2));
    const done = await api(agent, 'GET', `/api/v1/recovery-requests/${opened.json.id}`);
    expect(done.json.state).toBe('completed');
    const actions = (await rt.services.audit.forSubject(person.id)).map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'recovery.requested',
        'recovery.approved',
        'recovery.completed',
        'sso.signed_in',
      ]),
    );
    const live = (await rt.services.authenticators.list(person.id)).filter((a) => a.state === 'active');
    expect(live.map((a) => a.type)).toEqual(['totp']);
    await page.context().close();
  });
});
