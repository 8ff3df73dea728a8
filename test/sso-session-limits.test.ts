import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { createPerson, issueTotp } from './support/people.js';
import type { TestRuntime } from './support/runtime.js';
import {
  authorize,
  type Browser,
  listeningRuntime,
  relyingParty,
  type SsoSetup,
  signInWithTotp,
  ssoSetup,
} from './support/sso.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe.each(DIALECTS)('SSO session limits on the runtime clock on %s', (dialect) => {
  let { rt, admin, rp } = {} as SsoSetup;

  beforeAll(async () => {
    ({ rt, admin, rp } = await ssoSetup(dialect));
  });
  afterAll(() => rt.dispose());

  /** A person signed in with password + TOTP (AAL2) in a fresh browser. */
  async function signedIn(username: string) {
    const p = await createPerson(rt, username, { password: `${username} password` });
    const totp = await issueTotp(rt, p.id, admin);
    const { browser, tokens } = await signInWithTotp(rt, rp, username, `${username} password`, () =>
      totp.code(),
    );
    return { browser, authTime: tokens.claims()!.auth_time };
  }

  /** A new authorization request in the browser: tokens when SSO answered silently, else the page shown. */
  async function again(browser: Browser) {
    const req = await authorize(rp);
    const res = await browser.go(req.url);
    if (res.location?.includes('code='))
      return { silent: true as const, tokens: await req.finish(res.location) };
    return { silent: false as const, page: res };
  }

  it('answers silently within the idle limit and asks to sign in again once idle past it (AAL2: 1 h)', async () => {
    const { browser, authTime } = await signedIn('sl-ida');
    rt.clock.advance(59 * MIN);
    const within = await again(browser);
    expect(within.silent).toBe(true);
    if (within.silent) expect(within.tokens.claims()!.auth_time).toBe(authTime);

    // That request was a use: the idle hour starts again from it.
    rt.clock.advance(59 * MIN);
    expect((await again(browser)).silent).toBe(true);

    rt.clock.advance(HOUR + MIN);
    const idle = await again(browser);
    expect(idle.silent).toBe(false);
    if (!idle.silent) {
      expect(idle.page.status).toBe(200);
      expect(idle.page.body).toContain('autocomplete="current-password"');
    }
  });

  it('asks to sign in again past the overall limit (AAL2: 24 h) even with steady activity', async () => {
    const { browser } = await signedIn('sl-ove');
    // A use every 50 minutes keeps the session from idling, up to just under 24 hours.
    for (let t = 50; t < 24 * 60; t += 50) {
      rt.clock.advance(50 * MIN);
      expect((await again(browser)).silent, `silent at +${t} min`).toBe(true);
    }
    rt.clock.advance(50 * MIN);
    const over = await again(browser);
    expect(over.silent).toBe(false);
    if (!over.silent) expect(over.page.body).toContain('autocomplete="current-password"');
  });

  it('keeps the /account portal to the same limits: idle past the limit, it asks to sign in again', async () => {
    const { browser } = await signedIn('sl-acc');
    const portal = await browser.request('/account');
    expect(portal.status).toBe(200);
    expect(portal.body).toContain('sl-acc');
    rt.clock.advance(HOUR + MIN);
    const idle = await browser.request('/account');
    expect(idle.status).toBe(303);
    expect(idle.location).toContain('/oidc/auth?');
  });
});

describe.each(DIALECTS)('SSO session limits configured lower on %s', (dialect) => {
  let rt: TestRuntime & { url: string };

  beforeAll(async () => {
    rt = await listeningRuntime(dialect, {
      PORTCULLIS_SESSION_IDLE_MINUTES: '10',
      PORTCULLIS_SESSION_MAX_HOURS: '6',
    });
  });
  afterAll(() => rt.dispose());

  it('ends an AAL2 session after the configured 10 idle minutes and 6 hours overall', async () => {
    const admin = await rt.token('admin');
    const rp = await relyingParty(rt);
    const p = await createPerson(rt, 'sl-low', { password: 'sl-low password' });
    const totp = await issueTotp(rt, p.id, admin);
    const { browser } = await signInWithTotp(rt, rp, 'sl-low', 'sl-low password', () => totp.code());
    const silent = async () =>
      (await browser.go((await authorize(rp)).url)).location?.includes('code=') === true;
    rt.clock.advance(9 * MIN);
    expect(await silent()).toBe(true);
    rt.clock.advance(10 * MIN);
    expect(await silent()).toBe(false);

    const { browser: steady } = await signInWithTotp(rt, rp, 'sl-low', 'sl-low password', () => totp.code());
    const steadySilent = async () =>
      (await steady.go((await authorize(rp)).url)).location?.includes('code=') === true;
    for (let t = 9; t < 6 * 60; t += 9) {
      rt.clock.advance(9 * MIN);
      if (!(await steadySilent())) throw new Error(`session ended early at +${t} min`);
    }
    rt.clock.advance(9 * MIN);
    expect(await steadySilent()).toBe(false);
  });
});
