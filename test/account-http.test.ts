import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';

describe.each(DIALECTS)('/account and the passkey assets over HTTP on %s', (dialect) => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime(dialect, { env: { PUBLIC_URL: 'http://localhost:8080' } });
  });
  afterAll(() => rt.dispose());

  it('sends a visitor without a session to sign in through the provider as the portal client (PKCE S256)', async () => {
    const app = await rt.app();
    const res = await app.inject({ method: 'GET', url: '/account' });
    expect(res.statusCode).toBe(303);
    const to = new URL(res.headers.location as string, 'http://localhost:8080');
    expect(to.pathname).toBe('/oidc/auth');
    expect(to.searchParams.get('client_id')).toBe('portcullis-account');
    expect(to.searchParams.get('redirect_uri')).toBe('http://localhost:8080/account/signed-in');
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    // The provider accepts the request and shows the sign-in page.
    const auth = await app.inject({ method: 'GET', url: to.pathname + to.search });
    expect(auth.statusCode).toBe(303);
    expect(auth.headers.location).toMatch(/^\/interaction\//);
  });

  it('changes nothing for a POST without a session, and answers passkey options only to a session', async () => {
    const app = await rt.app();
    const remove = await app.inject({
      method: 'POST',
      url: '/account/factors/x/remove',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'csrf=forged',
    });
    expect(remove.statusCode).toBe(303);
    expect(remove.headers.location).toMatch(/^\/oidc\/auth\?/);
    const options = await app.inject({
      method: 'POST',
      url: '/account/passkey-options',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'csrf=forged',
    });
    expect(options.statusCode).toBe(401);
  });

  it('serves the WebAuthn browser bundle from node_modules with a year-long immutable cache', async () => {
    const app = await rt.app();
    const page = await app.inject({ method: 'GET', url: '/account/signed-in?error=access_denied' });
    expect(page.statusCode).toBe(401);
    expect(page.headers['cache-control']).toBe('no-store');
    const { PASSKEY_BUNDLE_PATH } = await import('../src/web/passkey-assets.js');
    const res = await app.inject({ method: 'GET', url: PASSKEY_BUNDLE_PATH });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('javascript');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.body).toContain('SimpleWebAuthnBrowser');
  });
});
