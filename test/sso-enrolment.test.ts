import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBase32, totp } from '../src/authenticators/otp/index.js';
import { DIALECTS } from './support/databases.js';
import { createPerson, issueTotp } from './support/people.js';
import type { TestRuntime } from './support/runtime.js';
import { authorize, Browser, listeningRuntime, relyingParty } from './support/sso.js';

const AAL2 = 'http://idmanagement.gov/ns/assurance/aal/2';
const AAL3 = 'http://idmanagement.gov/ns/assurance/aal/3';
const DAY = 24 * 60 * 60 * 1000;

describe.each(DIALECTS)('SSO enrolment, passes, grace and step-up on %s', (dialect) => {
  let rt: TestRuntime & { url: string };
  let admin: string;
  let rp: Awaited<ReturnType<typeof relyingParty>>;

  beforeAll(async () => {
    rt = await listeningRuntime(dialect, { PORTCULLIS_HELPDESK_CONTACT: 'the Service Desk (ext. 4242)' });
    admin = await rt.token('admin');
    rp = await relyingParty(rt);
  });
  afterAll(() => rt.dispose());

  const api = async (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    (await rt.app()).inject({
      method,
      url,
      headers: { authorization: `Bearer ${admin}` },
      payload: payload as object,
    });

  /** Reads the manual key off the QR page and makes the code the new app would show. */
  function codeFromQrPage(body: string): string {
    const key = /<code>([A-Z2-7 ]+)<\/code>/.exec(body)?.[1]?.replace(/ /g, '');
    expect(key, 'manual key on the page').toBeTruthy();
    expect(body).toMatch(/<img class="qr" src="data:image\/svg\+xml;base64,/);
    return totp(decodeBase32(key!), rt.clock.now(), { algorithm: 'SHA1', digits: 6, period: 30 });
  }

  async function passwordStep(username: string, password: string, extra: Record<string, string> = {}) {
    const req = await authorize(rp, extra);
    const browser = new Browser(rt.url);
    const login = await browser.go(req.url);
    const next = await browser.submit(login, 'password', { username, password });
    return { req, browser, next };
  }

  it('a Temporary Access Pass leads only into enrolment; the sign-in reaches aal2 through the new, verified TOTP', async () => {
    const p = await createPerson(rt, 'tap-carol', { password: 'carol password 1' });
    const pass = (
      await api('POST', `/api/v1/users/${p.id}/authenticators`, { type: 'access_pass' })
    ).json() as { code: string };
    const { req, browser, next } = await passwordStep('tap-carol', 'carol password 1');
    expect(next.body).toContain('Temporary Access Pass');
    const enrol = await browser.submit(next, 'recovery', { code: pass.code });
    expect(enrol.status).toBe(200);
    expect(enrol.body).toContain('Set up an authenticator app');
    const qr = await browser.submit(enrol, 'enrol-start');
    const code = codeFromQrPage(qr.body);
    const wrong = await browser.submit(qr, 'enrol-confirm', {
      code: code === '000000' ? '111111' : '000000',
    });
    expect(wrong.status).toBe(200);
    expect(wrong.body).toContain('That code did not work');
    const back = await browser.submit(wrong, 'enrol-confirm', { code });
    expect(back.location).toContain('code=');
    const claims = (await req.finish(back.location!)).claims()!;
    expect(claims.acr).toBe(AAL2);
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    const factors = (await api('GET', `/api/v1/users/${p.id}/authenticators`)).json() as Array<{
      type: string;
      state: string;
    }>;
    expect(factors.find((f) => f.type === 'access_pass')?.state).toBe('revoked');
    expect(factors.find((f) => f.type === 'totp')?.state).toBe('active');
  });

  it('a spent pass does not work twice, and a wrong pass counts as a failure', async () => {
    const p = await createPerson(rt, 'tap-dave', { password: 'dave password 1' });
    const pass = (
      await api('POST', `/api/v1/users/${p.id}/authenticators`, { type: 'access_pass' })
    ).json() as { code: string };
    const first = await passwordStep('tap-dave', 'dave password 1');
    const wrong = await first.browser.submit(first.next, 'recovery', { code: 'AAAA-BBBB-CCCC' });
    expect(wrong.body).toContain('That code did not work');
    const row = await rt.ctx.store.db
      .selectFrom('users')
      .select('failed_attempts')
      .where('id', '=', p.id)
      .executeTakeFirstOrThrow();
    expect(row.failed_attempts).toBe(1);
    const enrol = await first.browser.submit(wrong, 'recovery', { code: pass.code });
    expect(enrol.body).toContain('Set up an authenticator app');
    // The pass alone gets no code: resuming the authorization ends this sign-in and asks for a new one.
    const uid = /\/interaction\/([^/"]+)\//.exec(enrol.body)![1]!;
    const resumed = await first.browser.go(`/oidc/auth/${uid}`);
    expect(resumed.location ?? '').not.toContain('code=');
    expect(resumed.body).toContain('autocomplete="current-password"');
    // The pass is spent; with nothing else and inside the grace period, the next sign-in enrols afresh.
    const second = await passwordStep('tap-dave', 'dave password 1');
    expect(second.next.body).toContain('Set up two-step verification');
    expect(second.next.body).not.toContain('Temporary Access Pass');
  });

  it('enrol now: a person without any factor inside the grace period enrols before reaching the app', async () => {
    await createPerson(rt, 'new-erin', { password: 'erin password 1' });
    const { req, browser, next } = await passwordStep('new-erin', 'erin password 1');
    expect(next.body).toContain('Set up two-step verification');
    expect(next.body).toMatch(/you have until \d+ \w+ \d{4}/);
    const qr = await browser.submit(next, 'enrol-start');
    const back = await browser.submit(qr, 'enrol-confirm', { code: codeFromQrPage(qr.body) });
    expect(back.location).toContain('code=');
    expect((await req.finish(back.location!)).claims()!.acr).toBe(AAL2);
  });

  it('after the grace period a person without a factor is refused, told what to do and whom to contact', async () => {
    const p = await createPerson(rt, 'late-frank', { password: 'frank password 1' });
    rt.clock.advance(15 * DAY);
    const { browser, next } = await passwordStep('late-frank', 'frank password 1');
    expect(next.status).toBe(403);
    expect(next.body).toContain('the Service Desk (ext. 4242)');
    expect(next.body).toContain('Temporary Access Pass');
    const back = await browser.submit(next, 'abort');
    expect(new URL(back.location!).searchParams.get('error')).toBe('access_denied');
    const events = await rt.services.audit.forSubject(p.id);
    expect(events.map((e) => [e.action, e.details.reason])).toContainEqual([
      'sso.sign_in_failed',
      'enrolment_overdue',
    ]);
  });

  it('acr_values for AAL3 without a phishing-resistant factor ends in unmet_authentication_requirements, never a lower acr', async () => {
    const p = await createPerson(rt, 'step-gina', { password: 'gina password 1' });
    await issueTotp(rt, p.id, admin);
    const { next } = await passwordStep('step-gina', 'gina password 1', { acr_values: AAL3 });
    expect(next.status).toBe(303);
    const back = new URL(next.location!);
    expect(back.pathname).toBe('/cb');
    expect(back.searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect(back.searchParams.get('code')).toBeNull();
  });

  it('acr_values asking for AAL1 still gets the AAL2 floor', async () => {
    const p = await createPerson(rt, 'low-hank', { password: 'hank password 1' });
    const t = await issueTotp(rt, p.id, admin);
    const { req, browser, next } = await passwordStep('low-hank', 'hank password 1', {
      acr_values: 'http://idmanagement.gov/ns/assurance/aal/1',
    });
    expect(next.body).toContain('autocomplete="one-time-code"');
    const back = await browser.submit(next, 'otp', { code: t.code() });
    expect((await req.finish(back.location!)).claims()!.acr).toBe(AAL2);
  });
});
