import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { createPerson, issueTotp } from './support/people.js';
import type { TestRuntime } from './support/runtime.js';
import {
  authorize,
  Browser,
  decodeJwt,
  listeningRuntime,
  relyingParty,
  type SsoSetup,
  ssoSetup,
} from './support/sso.js';

const AAL2 = 'http://idmanagement.gov/ns/assurance/aal/2';

/** The server's `portcullis_password_hashing_total{op="verify"}`, from GET /metrics. */
async function passwordVerifies(rt: TestRuntime): Promise<number> {
  const body = (await (await rt.app()).inject({ method: 'GET', url: '/metrics' })).body;
  const line = /^portcullis_password_hashing_total\{op="verify"\} (\d+)$/m.exec(body);
  if (!line) throw new Error('no verify count in /metrics');
  return Number(line[1]);
}

describe.each(DIALECTS)('SSO sign-in with password and TOTP on %s', (dialect) => {
  let { rt, admin, rp } = {} as SsoSetup;

  beforeAll(async () => {
    ({ rt, admin, rp } = await ssoSetup(dialect));
  });
  afterAll(() => rt.dispose());

  it('completes code + PKCE: signed ID token with acr aal2, amr pwd/otp/mfa, auth_time, preferred_username', async () => {
    const p = await createPerson(rt, 'sso-alice', { password: 'correct horse battery' });
    const totp = await issueTotp(rt, p.id, admin);
    const req = await authorize(rp);
    const browser = new Browser(rt.url);
    const login = await browser.go(req.url);
    expect(login.status).toBe(200);
    expect(login.body).toContain('autocomplete="username"');
    expect(login.body).toContain('autocomplete="current-password"');
    const second = await browser.submit(login, 'password', {
      username: 'sso-alice',
      password: 'correct horse battery',
    });
    expect(second.body).toContain('autocomplete="one-time-code"');
    expect(second.body).toContain('inputmode="numeric"');
    // The password's answer is the next step's page itself (no redirect, no second request).
    expect(second.status).toBe(200);
    expect(second.location).toBeNull();
    const uid = /\/interaction\/([^/"]+)\/otp/.exec(second.body)?.[1];
    expect(uid).toBeTruthy();
    const signInStates = () => statesOf(uid!);
    expect(await signInStates()).toHaveLength(1);
    const back = await browser.submit(second, 'otp', { code: totp.code() });
    expect(back.status).toBe(303);
    expect(back.location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/cb\?code=/);
    const tokens = await req.finish(back.location!);
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(p.id);
    expect(claims.acr).toBe(AAL2);
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    expect(typeof claims.auth_time).toBe('number');
    expect(claims.preferred_username).toBe('sso-alice');
    expect(claims.email).toBe('sso-alice@example.org');
    const { header } = decodeJwt(tokens.id_token!);
    expect(header.alg).toBe('RS256');
    const jwks = (await (await fetch(rp.config.serverMetadata().jwks_uri!)).json()) as {
      keys: Array<{ kid: string; d?: string }>;
    };
    expect(jwks.keys.map((k) => k.kid)).toContain(header.kid);
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
    const events = await rt.services.audit.forSubject(p.id);
    const signedIn = events.find((e) => e.action === 'sso.signed_in');
    expect(signedIn?.details).toMatchObject({ acr: AAL2, client: rp.clientId });
    expect(signedIn?.details.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    // The sign-in's own state ended with it (in the commit of that audit event).
    expect(await signInStates()).toHaveLength(0);
  });

  const statesOf = (uid: string) =>
    rt.ctx.store.db
      .selectFrom('oidc_models')
      .select(['id', 'payload'])
      .where('kind', '=', 'SignIn')
      .where('uid', '=', uid)
      .execute();
  const uidIn = (body: string) => /\/interaction\/([^/"]+)\/[a-z]/.exec(body)?.[1] ?? '';

  it('writes nothing for a page view: the first step saves the sign-in', async () => {
    const p = await createPerson(rt, 'sso-fay', { password: 'fay password 1' });
    await issueTotp(rt, p.id, admin);
    const browser = new Browser(rt.url);
    const login = await browser.go((await authorize(rp)).url);
    const uid = uidIn(login.body);
    expect(uid).not.toBe('');
    const again = await browser.go(`/interaction/${uid}`);
    expect(again.status).toBe(200);
    expect(again.body).toContain('autocomplete="current-password"');
    expect(await statesOf(uid)).toHaveLength(0);
    const wrong = await browser.submit(login, 'password', { username: 'sso-fay', password: 'not it' });
    expect(wrong.body).toContain('The username or password is not right.');
    expect(await statesOf(uid)).toHaveLength(0);
    const second = await browser.submit(login, 'password', {
      username: 'sso-fay',
      password: 'fay password 1',
    });
    expect(second.status).toBe(200);
    expect(second.body).toContain('autocomplete="one-time-code"');
    const saved = await statesOf(uid);
    expect(saved).toHaveLength(1);
    expect(JSON.parse(saved[0]!.payload)).toMatchObject({
      step: { name: 'second_factor' },
      person: { id: p.id, username: 'sso-fay' },
    });
    // The password form sent again (a reload) shows where the sign-in stands, changing nothing.
    const reloaded = await browser.submit(login, 'password', {
      username: 'sso-fay',
      password: 'fay password 1',
    });
    expect(reloaded.status).toBe(200);
    expect(reloaded.body).toContain('autocomplete="one-time-code"');
    expect(await statesOf(uid)).toEqual(saved);
  });

  it('moves a sign-in on once when its first step is submitted twice at the same time', async () => {
    await createPerson(rt, 'sso-gus', { password: 'gus password 1' }).then((p) => issueTotp(rt, p.id, admin));
    const browser = new Browser(rt.url);
    const login = await browser.go((await authorize(rp)).url);
    const uid = uidIn(login.body);
    const fields = { username: 'sso-gus', password: 'gus password 1' };
    const both = await Promise.all([
      browser.submit(login, 'password', fields),
      browser.submit(login, 'password', fields),
    ]);
    const moved = both.filter((r) => r.status === 200 && r.body.includes('one-time-code'));
    const refused = both.filter((r) => r.status === 409);
    expect(moved.length + refused.length).toBe(2);
    expect(moved.length).toBeGreaterThanOrEqual(1);
    if (refused.length) expect(refused[0]!.body).toContain('changed in another window');
    expect(await statesOf(uid)).toHaveLength(1);
  });

  it('serves the pages with a nonce CSP, no framing, labelled fields and a submit button', async () => {
    const browser = new Browser(rt.url);
    const page = await browser.go((await authorize(rp)).url);
    const csp = page.headers.get('content-security-policy') ?? '';
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(page.body).toContain(`<style nonce="${nonce}">`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.body).toContain('<label for="username">');
    expect(page.body).toContain('<label for="password">');
    expect(page.body).toContain('<button type="submit">');
  });

  it('gives a wrong password and an unknown user the same page and the same argon2id work, and counts the failure', async () => {
    const p = await createPerson(rt, 'sso-dora', { password: 'dora password 1' });
    const browser = new Browser(rt.url);
    const login = await browser.go((await authorize(rp)).url);
    // Each answer with the argon2id verifies it cost, read from the server's own counter.
    const attempt = async (username: string) => {
      const before = await passwordVerifies(rt);
      const res = await browser.submit(login, 'password', { username, password: 'not the password' });
      return { res, verifies: (await passwordVerifies(rt)) - before };
    };
    const known = [await attempt('sso-dora'), await attempt('sso-dora')];
    const unknown = [await attempt('sso-nobody'), await attempt('sso-nobody')];
    // Only the echoed username and the per-response CSP nonce may differ.
    const normalise = (body: string, name: string) =>
      body.replaceAll(name, 'USER').replace(/nonce="[^"]+"/, '');
    expect(known[0]!.res.status).toBe(unknown[0]!.res.status);
    expect(normalise(known[0]!.res.body, 'sso-dora')).toBe(normalise(unknown[0]!.res.body, 'sso-nobody'));
    expect(known[0]!.res.body).toContain('The username or password is not right.');
    // An unknown name is verified against a hash nobody knows: the same work, so the same time.
    expect([...known, ...unknown].map((a) => a.verifies)).toEqual([1, 1, 1, 1]);
    const row = await rt.ctx.store.db
      .selectFrom('users')
      .select('failed_attempts')
      .where('id', '=', p.id)
      .executeTakeFirstOrThrow();
    expect(row.failed_attempts).toBe(2);
    const events = await rt.services.audit.forSubject(p.id);
    const failed = events.filter((e) => e.action === 'sso.sign_in_failed');
    expect(failed.map((e) => e.details.reason)).toEqual(['wrong_password', 'wrong_password']);
    expect(JSON.stringify(events)).not.toContain('not the password');
  });

  it("refuses a post without the form's CSRF token, changing nothing", async () => {
    const browser = new Browser(rt.url);
    const login = await browser.go((await authorize(rp)).url);
    const res = await browser.submit(login, 'password', {
      username: 'sso-alice',
      password: 'correct horse battery',
      csrf: 'forged',
    });
    expect(res.status).toBe(403);
    expect(res.body).not.toContain('one-time-code');
  });

  it('says so when a wrong code is entered, then accepts the right one', async () => {
    const p = await createPerson(rt, 'sso-emil', { password: 'emil password 1' });
    const t = await issueTotp(rt, p.id, admin);
    const req = await authorize(rp);
    const browser = new Browser(rt.url);
    const second = await browser.submit(await browser.go(req.url), 'password', {
      username: 'sso-emil',
      password: 'emil password 1',
    });
    const wrong = await browser.submit(second, 'otp', { code: t.code(5) });
    expect(wrong.status).toBe(200);
    expect(wrong.body).toContain('That code did not work');
    const code = t.code();
    const back = await browser.submit(wrong, 'otp', { code });
    expect((await req.finish(back.location!)).claims()!.sub).toBe(p.id);
    // The same code again, in another sign-in: a replay, refused.
    const other = new Browser(rt.url);
    const again = await other.submit(await other.go((await authorize(rp)).url), 'password', {
      username: 'sso-emil',
      password: 'emil password 1',
    });
    const replay = await other.submit(again, 'otp', { code });
    expect(replay.location).toBeNull();
    expect(replay.body).toContain('That code did not work');
  });
});

describe("SSO throttling shares the validation API's failure counter", () => {
  let rt: TestRuntime & { url: string };

  beforeAll(async () => {
    rt = await listeningRuntime('sqlite', { PORTCULLIS_THROTTLE_FREE_FAILURES: '3' });
  });
  afterAll(() => rt.dispose());

  it('locks after the free failures on any path, and the page says so', async () => {
    const rp = await relyingParty(rt);
    const p = await createPerson(rt, 'sso-fay', { password: 'fay password 1' });
    const t = await issueTotp(rt, p.id, await rt.token('admin'));
    const app = await rt.app();
    const validator = await rt.token('validator');
    // Two wrong codes on the validation API…
    for (const code of ['000000', '111111']) {
      await app.inject({
        method: 'POST',
        url: '/api/v1/validate',
        headers: { authorization: `Bearer ${validator}` },
        payload: { username: 'sso-fay', code },
      });
    }
    // …and one wrong password at sign-in reach the limit of three.
    const browser = new Browser(rt.url);
    const login = await browser.go((await authorize(rp)).url);
    const third = await browser.submit(login, 'password', {
      username: 'sso-fay',
      password: 'wrong password',
    });
    expect(third.status).toBe(200);
    const locked = await browser.submit(third, 'password', {
      username: 'sso-fay',
      password: 'fay password 1',
    });
    expect(locked.status).toBe(429);
    expect(locked.body).toContain('Too many failed attempts');
    const api = await app.inject({
      method: 'POST',
      url: '/api/v1/validate',
      headers: { authorization: `Bearer ${validator}` },
      payload: { username: 'sso-fay', code: t.code() },
    });
    expect(api.statusCode).toBe(429);
  });
});
