import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { endSsoFor } from '../src/sso/end-sso.js';
import { createPerson, issueTotp } from './support/people.js';
import type { TestRuntime } from './support/runtime.js';
import { authorize, Browser, listeningRuntime, relyingParty } from './support/sso.js';

type Rp = Awaited<ReturnType<typeof relyingParty>>;

describe.each(DIALECTS)('OIDC protocol rules on %s', (dialect) => {
  let rt: TestRuntime & { url: string };
  let rp: Rp;
  let totp: Awaited<ReturnType<typeof issueTotp>>;

  beforeAll(async () => {
    rt = await listeningRuntime(dialect);
    rp = await relyingParty(rt);
    const p = await createPerson(rt, 'proto-bob', { password: 'proto password 1' });
    totp = await issueTotp(rt, p.id, await rt.token('admin'));
  });
  afterAll(() => rt.dispose());

  /** A full sign-in in a fresh browser; returns the redirect back to the client. */
  async function signIn(req: Awaited<ReturnType<typeof authorize>>) {
    const browser = new Browser(rt.url);
    const login = await browser.go(req.url);
    const second = await browser.submit(login, 'password', {
      username: 'proto-bob',
      password: 'proto password 1',
    });
    rt.clock.advance(30_000); // a fresh TOTP step for every sign-in
    const back = await browser.submit(second, 'otp', { code: totp.code() });
    expect(back.location).toContain('code=');
    return { browser, location: back.location! };
  }

  it('publishes discovery at the root with issuer = PUBLIC_URL, S256 only, the AAL acr values', async () => {
    const meta = rp.config.serverMetadata();
    expect(meta.issuer).toBe(rt.url);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.acr_values_supported).toContain('http://idmanagement.gov/ns/assurance/aal/3');
    expect(meta.response_types_supported).toEqual(['code']);
    expect(meta.grant_types_supported).toEqual(
      expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']),
    );
    for (const endpoint of [
      'jwks_uri',
      'userinfo_endpoint',
      'end_session_endpoint',
      'revocation_endpoint',
      'introspection_endpoint',
    ]) {
      expect(String(meta[endpoint as keyof typeof meta])).toMatch(new RegExp(`^${rt.url}/oidc/`));
    }
  });

  it('redeems an authorization code once: a reuse is invalid_grant and revokes what it issued', async () => {
    const req = await authorize(rp);
    const { location } = await signIn(req);
    const tokens = await req.finish(location);
    const before = await oidc.tokenIntrospection(rp.config, tokens.access_token);
    expect(before.active).toBe(true);
    const reuse = await req.finish(location).catch((e: unknown) => e);
    expect((reuse as { error?: string }).error).toBe('invalid_grant');
    const after = await oidc.tokenIntrospection(rp.config, tokens.access_token);
    expect(after.active).toBe(false);
    const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!).catch((e: unknown) => e);
    expect((refreshed as { error?: string }).error).toBe('invalid_grant');
  });

  it('builds every endpoint from PUBLIC_URL, whatever Host header a request carries', async () => {
    const res = await (await rt.app()).inject({
      url: '/.well-known/openid-configuration',
      headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('evil.example');
    expect(res.json().authorization_endpoint).toBe(`${rt.url}/oidc/auth`);
  });

  it('refuses plain PKCE and a request without PKCE, at the client with invalid_request', async () => {
    const plain = await authorize(rp, { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' });
    const none = oidc.buildAuthorizationUrl(rp.config, {
      redirect_uri: rp.redirectUri,
      scope: 'openid',
      state: 'x',
    });
    for (const url of [plain.url, none]) {
      const res = await new Browser(rt.url).request(url);
      expect(res.status).toBe(303);
      const back = new URL(res.location!);
      expect(back.pathname).toBe('/cb');
      expect(back.searchParams.get('error')).toBe('invalid_request');
      expect(back.searchParams.get('code')).toBeNull();
    }
  });

  it('answers an unregistered redirect_uri with an error page, never a redirect', async () => {
    const tricks = [
      'http://evil.example/cb',
      `${rp.redirectUri}/../evil`,
      `${rp.redirectUri}?x=1`,
      `http://127.0.0.1:1@evil.example/cb`,
      rp.redirectUri.replace('127.0.0.1', '127.0.0.1:1@evil.example'),
      `${rp.redirectUri}#frag`,
    ];
    for (const redirect_uri of tricks) {
      const req = await authorize(rp, { redirect_uri });
      const res = await new Browser(rt.url).request(req.url);
      expect(res.status, redirect_uri).toBe(400);
      expect(res.location).toBeNull();
      expect(res.body).toContain('invalid_redirect_uri');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
  });

  it('rotates refresh tokens and treats a reused one as theft: the whole grant dies', async () => {
    const req = await authorize(rp);
    const tokens = await req.finish((await signIn(req)).location);
    const first = tokens.refresh_token!;
    const second = await oidc.refreshTokenGrant(rp.config, first);
    expect(second.refresh_token).toBeDefined();
    expect(second.refresh_token).not.toBe(first);
    expect(second.claims()?.acr).toBe('http://idmanagement.gov/ns/assurance/aal/2');
    const reuse = await oidc.refreshTokenGrant(rp.config, first).catch((e: unknown) => e);
    expect((reuse as { error?: string }).error).toBe('invalid_grant');
    const afterTheft = await oidc
      .refreshTokenGrant(rp.config, second.refresh_token!)
      .catch((e: unknown) => e);
    expect((afterTheft as { error?: string }).error).toBe('invalid_grant');
    expect((await oidc.tokenIntrospection(rp.config, second.access_token)).active).toBe(false);
    // The theft is in the audit trail (written just after oidc-provider revokes).
    const sub = tokens.claims()!.sub;
    await expect
      .poll(async () =>
        (await rt.services.audit.forSubject(sub))
          .filter((e) => e.action === 'oidc.grant_revoked')
          .map((e) => e.details.reason),
      )
      .toContain('reuse');
  });

  it('redeems one refresh token once under concurrent use', async () => {
    const req = await authorize(rp);
    const tokens = await req.finish((await signIn(req)).location);
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => oidc.refreshTokenGrant(rp.config, tokens.refresh_token!)),
    );
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeLessThanOrEqual(1);
  });

  it('serves userinfo with the scopes granted, and revocation', async () => {
    const req = await authorize(rp);
    const tokens = await req.finish((await signIn(req)).location);
    const sub = tokens.claims()!.sub;
    const info = await oidc.fetchUserInfo(rp.config, tokens.access_token, sub);
    expect(info.preferred_username).toBe('proto-bob');
    expect(info.email).toBe('proto-bob@example.org');
    await oidc.tokenRevocation(rp.config, tokens.access_token);
    expect((await oidc.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(false);
  });

  it('silently signs in again within the session; prompt=login and max_age=0 force re-authentication with a new session id', async () => {
    const req = await authorize(rp);
    const { browser, location } = await signIn(req);
    const first = (await req.finish(location)).claims()!;
    const sessionCookie = () => [...browser.cookies].find(([k]) => k === 'pc_session')?.[1];
    const session1 = sessionCookie();
    expect(session1).toBeDefined();
    const silent = await authorize(rp);
    const again = await browser.go(silent.url);
    expect(again.status).toBe(303);
    expect((await silent.finish(again.location!)).claims()!.auth_time).toBe(first.auth_time);
    for (const extra of [{ prompt: 'login' }, { max_age: '0' }] as Array<Record<string, string>>) {
      const forced = await authorize(rp, extra);
      const page = await browser.go(forced.url);
      expect(page.status).toBe(200);
      expect(page.body).toContain('autocomplete="current-password"');
      const second = await browser.submit(page, 'password', {
        username: 'proto-bob',
        password: 'proto password 1',
      });
      rt.clock.advance(30_000);
      const back = await browser.submit(second, 'otp', { code: totp.code() });
      expect(back.location).toContain('code=');
      await forced.finish(back.location!);
      expect(sessionCookie()).not.toBe(session1);
    }
  });

  it('sets HttpOnly, SameSite=Lax cookies (no Secure over plain http)', async () => {
    const req = await authorize(rp);
    const res = await new Browser(rt.url).request(req.url);
    expect(res.setCookies.length).toBeGreaterThan(0);
    for (const c of res.setCookies) {
      expect(c).toMatch(/httponly/i);
      expect(c).toMatch(/samesite=lax/i);
    }
  });

  it('issues client_credentials tokens to a confidential service client, and refuses them to others', async () => {
    const service = await rt.services.sso.clients.create(
      { label: 'test' },
      { name: 'Batch job', grantTypes: ['client_credentials'] },
    );
    const config = await oidc.discovery(
      new URL(rt.url),
      service.clientId,
      undefined,
      oidc.ClientSecretBasic(service.clientSecret!),
      {
        execute: [oidc.allowInsecureRequests],
      },
    );
    const tokens = await oidc.clientCredentialsGrant(config);
    expect(tokens.access_token).toBeTruthy();
    expect(tokens.id_token).toBeUndefined();
    const introspected = await oidc.tokenIntrospection(config, tokens.access_token);
    expect(introspected.active).toBe(true);
    expect(introspected.client_id).toBe(service.clientId);
    // A sign-in client was not registered for client_credentials (oidc-provider answers invalid_request).
    const wrong = await oidc.clientCredentialsGrant(rp.config).catch((e: unknown) => e);
    expect(['invalid_request', 'unauthorized_client']).toContain((wrong as { error?: string }).error);
  });

  it('ends the session at end_session with a sign-out page', async () => {
    const req = await authorize(rp);
    const { browser, location } = await signIn(req);
    const tokens = await req.finish(location);
    const url = oidc.buildEndSessionUrl(rp.config, { id_token_hint: tokens.id_token! });
    const page = await browser.go(url);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Sign out');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('a person who is no longer active gets nothing more: refresh, userinfo and silent sign-in all stop', async () => {
    const p = await createPerson(rt, 'proto-leo', { password: 'leo password 1' });
    const t = await issueTotp(rt, p.id, await rt.token('admin'));
    const req = await authorize(rp);
    const browser = new Browser(rt.url);
    const second = await browser.submit(await browser.go(req.url), 'password', {
      username: 'proto-leo',
      password: 'leo password 1',
    });
    const back = await browser.submit(second, 'otp', { code: t.code() });
    const tokens = await req.finish(back.location!);
    await rt.services.identity.setStatus({ label: 'test' }, p.id, 'suspended');
    const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!).catch((e: unknown) => e);
    expect((refreshed as { error?: string }).error).toBe('invalid_grant');
    const info = await oidc.fetchUserInfo(rp.config, tokens.access_token, p.id).catch((e: unknown) => e);
    expect(info).toBeInstanceOf(Error);
    const silent = await browser.go((await authorize(rp)).url);
    expect(silent.location ?? '').not.toContain('code=');
    expect(silent.status).toBeLessThan(500);
  });

  it('endSsoFor (the leaver) removes every session, grant and token of the person in one statement', async () => {
    const p = await createPerson(rt, 'proto-mia', { password: 'mia password 1' });
    const t = await issueTotp(rt, p.id, await rt.token('admin'));
    const req = await authorize(rp);
    const browser = new Browser(rt.url);
    const second = await browser.submit(await browser.go(req.url), 'password', {
      username: 'proto-mia',
      password: 'mia password 1',
    });
    const tokens = await req.finish((await browser.submit(second, 'otp', { code: t.code() })).location!);
    const removed = await rt.ctx.store.transaction((trx) => endSsoFor(trx, p.id));
    expect(removed).toBeGreaterThanOrEqual(3);
    expect((await oidc.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(false);
    const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!).catch((e: unknown) => e);
    expect((refreshed as { error?: string }).error).toBe('invalid_grant');
    const again = await browser.go((await authorize(rp)).url);
    expect(again.body).toContain('autocomplete="current-password"');
  });

  it('never answers hostile input with a 5xx', async () => {
    const browser = new Browser(rt.url);
    const probes: Array<[string, Record<string, string> | undefined]> = [
      ['/oidc/auth?client_id=%00&redirect_uri=%FF&response_type=code', undefined],
      [
        `/oidc/auth?client_id=${rp.clientId}&response_type=token&redirect_uri=${encodeURIComponent(rp.redirectUri)}`,
        undefined,
      ],
      [`/oidc/auth?client_id=${'x'.repeat(5000)}`, undefined],
      ['/oidc/token', { grant_type: 'authorization_code', code: 'nope', redirect_uri: 'x' }],
      ['/oidc/token', { grant_type: 'password', username: 'a', password: 'b' }],
      ['/oidc/token/introspection', { token: 'x' }],
      ['/oidc/me', undefined],
      ['/interaction/nope', undefined],
      ['/interaction/nope/password', { csrf: 'x', username: 'a', password: 'b' }],
      ['/interaction/nope/%2e%2e', { csrf: 'x' }],
      [`/interaction/${'u'.repeat(500)}`, undefined],
    ];
    for (const [url, form] of probes) {
      const res = await browser.request(url, { form });
      expect(res.status, url.slice(0, 80)).toBeLessThan(500);
    }
    const login = await browser.go((await authorize(rp)).url);
    for (const username of ['a\u0000b', 'x'.repeat(10_000), '\ud800', "' OR 1=1 --"]) {
      const res = await browser.submit(login, 'password', { username, password: 'p\u0000w' });
      expect(res.status).toBe(200);
      expect(res.body).toContain('The username or password is not right.');
    }
  });

  it("asks a third-party client's consent once; first-party clients never see the page", async () => {
    const third = await relyingParty(rt, { name: 'Partner Portal', firstParty: false });
    const req = await authorize(third);
    const browser = new Browser(rt.url);
    const second = await browser.submit(await browser.go(req.url), 'password', {
      username: 'proto-bob',
      password: 'proto password 1',
    });
    rt.clock.advance(30_000);
    const consent = await browser.submit(second, 'otp', { code: totp.code() });
    expect(consent.status).toBe(200);
    expect(consent.body).toContain('Allow Partner Portal?');
    expect(consent.body).toContain('See your email address');
    const back = await browser.submit(consent, 'consent');
    expect(back.location).toContain('code=');
    expect((await req.finish(back.location!)).claims()!.preferred_username).toBe('proto-bob');
    // Granted once: the next request of the same scopes goes straight through.
    const again = await authorize(third);
    expect((await browser.go(again.url)).location).toContain('code=');
  });
});
