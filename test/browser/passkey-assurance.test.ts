import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { authorize } from '../support/sso.js';
import {
  aal,
  callbackUrl,
  chromiumForFile,
  freshPage,
  passkeyFirst,
  personWithPasskey,
  type ServedSetup,
  servedSetup,
} from './support.js';

const MIN = 60_000;

const chromium = chromiumForFile();

describe.each(DIALECTS)('passkey assurance and session limits in Chromium on %s', (dialect) => {
  let { rt, rp } = {} as ServedSetup;

  beforeAll(async () => {
    ({ rt, rp } = await servedSetup(dialect));
  });
  afterAll(() => rt?.dispose());

  /** A new person who enrols a passkey (device-bound, or synced) in the enrol-now flow; returns the ID token claims. */
  function enrolPasskey(page: Page, username: string, synced: boolean) {
    return personWithPasskey({ rt, rp }, page, username, { synced });
  }

  /** A new authorization request in the page: true when SSO answered without asking anything. */
  async function silent(page: Page): Promise<boolean> {
    const req = await authorize(rp);
    await page.goto(req.url.href);
    if (!page.url().includes('/cb?')) return false;
    await req.finish(page.url());
    return true;
  }

  it('ends an AAL3 session after 15 idle minutes, where an AAL2 one would still live', async () => {
    const page = await freshPage(chromium.browser);
    const { claims } = await enrolPasskey(page, 'pa-ada', false);
    expect(claims.acr).toBe(aal(3));
    rt.clock.advance(14 * MIN);
    expect(await silent(page)).toBe(true);
    rt.clock.advance(14 * MIN);
    expect(await silent(page)).toBe(true);
    rt.clock.advance(16 * MIN);
    expect(await silent(page)).toBe(false);
    await page.getByLabel('Username').waitFor();
    await page.context().close();
  });

  it('ends an AAL3 session 12 hours after its sign-in, however active', async () => {
    const page = await freshPage(chromium.browser);
    expect((await enrolPasskey(page, 'pa-max', false)).claims.acr).toBe(aal(3));
    for (let t = 14; t < 12 * 60; t += 14) {
      rt.clock.advance(14 * MIN);
      if (!(await silent(page))) throw new Error(`the AAL3 session ended early, at +${t} min`);
    }
    rt.clock.advance(14 * MIN);
    expect(await silent(page)).toBe(false);
    await page.context().close();
  }, 180_000);

  it('never answers acr_values AAL3 with a synced passkey: the application gets unmet_authentication_requirements', async () => {
    const page = await freshPage(chromium.browser);
    const { person, claims } = await enrolPasskey(page, 'pa-syd', true);
    // A synced (backup-eligible) passkey is phishing-resistant but not device-bound: AAL2.
    expect(claims.acr).toBe(aal(2));
    expect(claims.amr).toEqual(expect.arrayContaining(['swk']));

    // Passkey-first for an application that asks for AAL3.
    const aal3 = await passkeyFirst(rp, page, { acr_values: aal(3) });
    const back = new URL(await callbackUrl(page));
    expect(back.searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect(back.searchParams.get('state')).toBe(aal3.state);
    expect(back.searchParams.get('code')).toBeNull();

    // With the password the answer is the same: nothing this person has reaches AAL3.
    const again = await authorize(rp, { acr_values: aal(3), prompt: 'login' });
    await page.goto(again.url.href);
    await page.getByLabel('Username').fill('pa-syd');
    await page.getByLabel('Password').fill('pa-syd password');
    await page.getByRole('button', { name: 'Continue' }).click();
    const refused = new URL(await callbackUrl(page));
    expect(refused.searchParams.get('error')).toBe('unmet_authentication_requirements');
    const failed = (await rt.services.audit.forSubject(person.id)).filter(
      (e) => e.action === 'sso.sign_in_failed' && e.details.reason === 'unmet_authentication_requirements',
    );
    expect(failed.length).toBeGreaterThanOrEqual(2);
    await page.context().close();
  });
});
