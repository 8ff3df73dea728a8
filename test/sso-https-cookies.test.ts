import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPerson, issueTotp } from './support/people.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';
import { Browser, injectTransport } from './support/sso.js';

describe('SSO cookies when PUBLIC_URL is https', () => {
  let rt: TestRuntime;

  beforeAll(async () => {
    rt = await createTestRuntime('sqlite', { env: { PUBLIC_URL: 'https://sso.example.test' } });
  });
  afterAll(() => rt.dispose());

  it('uses the __Host- session cookie (Secure, Path=/, no Domain), Secure interaction cookies, and rotates the session at sign-in', async () => {
    const app = await rt.app();
    const p = await createPerson(rt, 'https-jo', { password: 'jo password 1' });
    const t = await issueTotp(rt, p.id, await rt.token('admin'));
    const client = await rt.services.sso.clients.create(
      { label: 'test' },
      {
        name: 'Public SPA',
        redirectUris: ['https://app.example.test/cb'],
        public: true,
      },
    );
    expect(client.clientSecret).toBeUndefined();
    const browser = new Browser('https://sso.example.test', injectTransport(app));
    const authUrl = `/oidc/auth?${new URLSearchParams({
      client_id: client.clientId,
      redirect_uri: 'https://app.example.test/cb',
      response_type: 'code',
      scope: 'openid',
      state: 's1',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    })}`;
    const start = await browser.request(authUrl);
    expect(start.status).toBe(303);
    for (const c of start.setCookies) {
      expect(c).toMatch(/^__Secure-pc_(interaction|resume)/);
      expect(c).toMatch(/; secure/i);
      expect(c).toMatch(/; httponly/i);
    }
    const login = await browser.go(start.location!);
    const second = await browser.submit(login, 'password', {
      username: 'https-jo',
      password: 'jo password 1',
    });
    const form = /action="([^"]+\/otp)"/.exec(second.body)![1]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(second.body.slice(second.body.indexOf(form)))![1]!;
    const posted = await browser.request(form, { form: { csrf, code: t.code() } });
    expect(posted.location).toMatch(/^https:\/\/sso\.example\.test\/oidc\/auth\//);
    const finalHop = await browser.request(posted.location!);
    expect(finalHop.location).toMatch(/^https:\/\/app\.example\.test\/cb\?code=/);
    const session = finalHop.setCookies.filter((c) => c.startsWith('__Host-pc_session'));
    expect(session.length).toBeGreaterThan(0);
    for (const c of session) {
      expect(c).toMatch(/; path=\//i);
      expect(c).toMatch(/; secure/i);
      expect(c).toMatch(/; httponly/i);
      expect(c).toMatch(/; samesite=lax/i);
      expect(c).not.toMatch(/domain=/i);
    }
    const first = browser.cookies.get('__Host-pc_session');
    // A second sign-in (prompt=login) gets a new session id.
    const again = await browser.go(`${authUrl}&prompt=login`);
    const second2 = await browser.submit(again, 'password', {
      username: 'https-jo',
      password: 'jo password 1',
    });
    rt.clock.advance(30_000);
    const done = await browser.submit(second2, 'otp', { code: t.code() });
    expect(done.location).toMatch(/^https:\/\/app\.example\.test\/cb\?code=/);
    expect(browser.cookies.get('__Host-pc_session')).toBeDefined();
    expect(browser.cookies.get('__Host-pc_session')).not.toBe(first);
  });
});
