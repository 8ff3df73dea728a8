import type { CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { authorize } from '../support/sso.js';
import {
  aal,
  addVirtualAuthenticator,
  callbackUrl,
  chromiumForFile,
  freshPage,
  passkeyFirst,
  personWithPasskey,
  type ServedSetup,
  servedSetup,
} from './support.js';

type Json = Record<string, unknown>;
type Virtual = { cdp: CDPSession; authenticatorId: string };

const chromium = chromiumForFile();

/**
 * A synced passkey (Chromium's virtual authenticator with BE=1, BS=1) is phishing-resistant but
 * never AAL3; a device-bound security key (BE=0) added next to it is. Everything goes through a
 * real relying party (openid-client) and the real pages; nothing of the server is mocked.
 */
describe.each(DIALECTS)('a synced passkey, then a device-bound key, in Chromium on %s', (dialect) => {
  let { rt, rp } = {} as ServedSetup;

  beforeAll(async () => {
    ({ rt, rp } = await servedSetup(dialect));
  });
  afterAll(() => rt?.dispose());

  /** A new person who enrols a synced platform passkey in the enrol-now flow; its claims and authenticator. */
  async function personWithSyncedPasskey(page: Page, username: string) {
    const { person, authenticator, claims } = await personWithPasskey({ rt, rp }, page, username, {
      synced: true,
    });
    return { person, synced: authenticator, claims };
  }

  /**
   * A person with a synced passkey who then adds a device-bound security key (BE=0, USB: Chromium
   * allows one platform authenticator per tab) in /account, on the session the synced passkey
   * signed in (the synced one does not answer meanwhile); both authenticators and the key's credential.
   */
  async function personWithSecurityKey(page: Page, username: string) {
    const { person, synced } = await personWithSyncedPasskey(page, username);
    const key = await addVirtualAuthenticator(page, { synced: false, transport: 'usb' });
    await answers(synced, false);
    await page.goto(`${rt.url}/account`);
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.waitForURL(/done=added/);
    await answers(synced, true);
    const [keyCred] = await credentialsOf(key);
    return { person, synced, key, keyCred: keyCred! };
  }

  /** Whether a virtual authenticator answers (user presence) at all: the person picks which one to touch. */
  function answers(a: Virtual, enabled: boolean) {
    return a.cdp.send('WebAuthn.setAutomaticPresenceSimulation', {
      authenticatorId: a.authenticatorId,
      enabled,
    });
  }

  async function credentialsOf(a: Virtual) {
    return (await a.cdp.send('WebAuthn.getCredentials', { authenticatorId: a.authenticatorId })).credentials;
  }

  async function auditOf(userId: string, action: string) {
    return (await rt.services.audit.forSubject(userId)).filter((e) => e.action === action);
  }

  async function passkeysOf(userId: string) {
    const res = await (await rt.app()).inject({
      url: `/api/v1/users/${userId}/authenticators`,
      headers: { authorization: `Bearer ${await rt.token('admin')}` },
    });
    expect(res.statusCode).toBe(200);
    return (res.json() as Json[]).filter((a) => a.type === 'webauthn');
  }

  it('signs in at AAL2 with the synced passkey, and never answers AAL3 with a lower acr', async () => {
    const page = await freshPage(chromium.browser);
    const { person, synced, claims } = await personWithSyncedPasskey(page, 'sy-sue');
    const [cred] = await credentialsOf(synced);
    expect(cred).toMatchObject({ backupEligibility: true, backupState: true });
    expect(claims.acr).toBe(aal(2));
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'swk', 'mfa']));
    expect(claims.amr).not.toContain('hwk');

    // acr_values AAL2, passkey-first: the synced passkey with user verification is two factors.
    const two = await passkeyFirst(rp, page, { acr_values: aal(2) });
    const aal2 = (await two.finish(await callbackUrl(page))).claims()!;
    expect(aal2.sub).toBe(person.id);
    expect(aal2.acr).toBe(aal(2));
    expect(aal2.amr).toEqual(expect.arrayContaining(['swk', 'user', 'mfa']));
    expect(aal2.amr).not.toContain('hwk');
    expect(aal2.amr).not.toContain('pwd');

    // acr_values AAL3 without a prompt: the AAL2 session is not silently enough.
    const silent = await authorize(rp, { acr_values: aal(3), prompt: 'none' });
    await page.goto(silent.url.href);
    const noInteraction = new URL(await callbackUrl(page));
    expect(noInteraction.searchParams.get('error')).toBe('interaction_required');
    expect(noInteraction.searchParams.get('code')).toBeNull();
    const asked = await authorize(rp, { acr_values: aal(3) });
    await page.goto(asked.url.href);
    await page.getByLabel('Username').waitFor();
    expect(page.url()).not.toContain('/cb?');

    // Passkey-first at AAL3 with the synced passkey only: the application is told, with no code.
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const back = new URL(await callbackUrl(page));
    expect(back.searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect(back.searchParams.get('state')).toBe(asked.state);
    expect(back.searchParams.get('code')).toBeNull();
    const unmet = (await auditOf(person.id, 'sso.sign_in_failed')).filter(
      (e) => e.details.reason === 'unmet_authentication_requirements',
    );
    expect(unmet.map((e) => [e.details.requiredAcr, e.details.reachableAcr])).toEqual([[aal(3), aal(2)]]);
    // Every sign-in this person completed reached AAL2, none AAL3.
    const done = await auditOf(person.id, 'sso.signed_in');
    expect(done.map((e) => e.details.acr)).toEqual([aal(2), aal(2)]);
    await page.context().close();
  });

  it('reaches AAL3 once a device-bound key is added; the admin API shows how each passkey counts', async () => {
    const page = await freshPage(chromium.browser);
    const { person, synced, key, keyCred } = await personWithSecurityKey(page, 'sy-dev');
    expect(keyCred).toMatchObject({ backupEligibility: false, backupState: false });
    expect(await credentialsOf(synced)).toHaveLength(1);

    // The AAL3 request, passkey-first with the device-bound key.
    await answers(synced, false);
    const direct = await passkeyFirst(rp, page, { acr_values: aal(3) });
    const aal3 = (await direct.finish(await callbackUrl(page))).claims()!;
    expect(aal3.sub).toBe(person.id);
    expect(aal3.acr).toBe(aal(3));
    expect(aal3.amr).toEqual(expect.arrayContaining(['hwk', 'user', 'mfa']));
    expect(aal3.amr).not.toContain('swk');

    // The synced passkey first: the page now asks for the stronger one instead of refusing.
    await answers(synced, true);
    await answers(key, false);
    const stepUp = await passkeyFirst(rp, page, { acr_values: aal(3) });
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    expect(page.url()).not.toContain('/cb?');
    await answers(synced, false);
    await answers(key, true);
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    const stepped = (await stepUp.finish(await callbackUrl(page))).claims()!;
    expect(stepped.acr).toBe(aal(3));
    expect(stepped.amr).toEqual(expect.arrayContaining(['swk', 'hwk', 'mfa']));

    // What is stored, through the admin API: each credential's backup flags and what they make it.
    const passkeys = await passkeysOf(person.id);
    expect(passkeys).toHaveLength(2);
    expect(passkeys.map((p) => p.passkey)).toEqual(
      expect.arrayContaining([
        { backupEligible: true, backedUp: true, amr: 'swk', maxAal: 2 },
        { backupEligible: false, backedUp: false, amr: 'hwk', maxAal: 3 },
      ]),
    );
    await page.context().close();
  });

  it('refuses a device-bound credential that later claims to be backup eligible: no AAL3 from it', async () => {
    const page = await freshPage(chromium.browser);
    const { person, synced, key, keyCred } = await personWithSecurityKey(page, 'sy-flip');
    // The same credential now reports BE=1, BS=1 (WebAuthn L3: BE never changes after creation).
    await key.cdp.send('WebAuthn.setCredentialProperties', {
      authenticatorId: key.authenticatorId,
      credentialId: keyCred.credentialId,
      backupEligibility: true,
      backupState: true,
    });
    await answers(synced, false);
    await passkeyFirst(rp, page, { acr_values: aal(3) });
    expect(await page.getByRole('alert').textContent()).toContain('passkey could not sign you in');
    expect(page.url()).not.toContain('/cb?');
    const failed = await auditOf(person.id, 'webauthn.authentication_failed');
    expect(failed.map((e) => e.details)).toEqual([
      expect.objectContaining({ reason: 'backup_eligibility_changed', stored: false, presented: true }),
    ]);
    expect((await auditOf(person.id, 'sso.signed_in')).map((e) => e.details.acr)).not.toContain(aal(3));
    // The stored classification is unchanged: still the device-bound key it was registered as.
    expect((await passkeysOf(person.id)).map((p) => p.passkey)).toContainEqual({
      backupEligible: false,
      backedUp: false,
      amr: 'hwk',
      maxAal: 3,
    });
    await page.context().close();
  });
});
