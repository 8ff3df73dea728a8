import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { createPerson, issueTotp } from '../support/people.js';
import type { TestRuntime } from '../support/runtime.js';
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

describe.each(DIALECTS)('sign-in in Chromium on %s', (dialect) => {
  let rt: TestRuntime & { url: string };
  let rp: Awaited<ReturnType<typeof relyingParty>>;
  let admin: string;

  beforeAll(async () => {
    rt = await servedRuntime(dialect);
    rp = await relyingParty(rt);
    admin = await rt.token('admin');
  });
  afterAll(() => rt?.dispose());

  /** A new person who enrols a device-bound passkey through the enrol-now flow in `page`. */
  async function personWithPasskey(page: Page, username: string) {
    const person = await createPerson(rt, username, { password: `${username} password` });
    const va = await addVirtualAuthenticator(page);
    const req = await authorize(rp);
    await page.goto(req.url.href);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(`${username} password`);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await req.finish(await callbackUrl(page));
    return { person, ...va };
  }

  async function auditOf(userId: string, action: string) {
    return (await rt.services.audit.forSubject(userId)).filter((e) => e.action === action);
  }

  it('password + TOTP: the code typed into the page gives an AAL2 ID token', async () => {
    const p = await createPerson(rt, 'br-tom', { password: 'tom password 1' });
    const totp = await issueTotp(rt, p.id, admin);
    const page = await freshPage(chromium.browser);
    const req = await authorize(rp);
    await page.goto(req.url.href);
    await page.getByLabel('Username').fill('br-tom');
    await page.getByLabel('Password').fill('tom password 1');
    if (dialect === 'sqlite') await screenshot(page, 'sign-in-password');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Verification code').fill(totp.code());
    if (dialect === 'sqlite') await screenshot(page, 'sign-in-second-factor');
    await page.getByRole('button', { name: 'Verify' }).click();
    const claims = (await req.finish(await callbackUrl(page))).claims()!;
    expect(claims.acr).toBe(aal(2));
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    await page.context().close();
  });

  it('enrols a passkey in the enrol-now flow, then signs in with it alone (passkey-first, AAL3)', async () => {
    const p = await createPerson(rt, 'br-pia', { password: 'pia password 1' });
    const page = await freshPage(chromium.browser);
    const { cdp, authenticatorId } = await addVirtualAuthenticator(page);
    const first = await authorize(rp);
    await page.goto(first.url.href);
    await page.getByLabel('Username').fill('br-pia');
    await page.getByLabel('Password').fill('pia password 1');
    await page.getByRole('button', { name: 'Continue' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Set up two-step verification');
    if (dialect === 'sqlite') await screenshot(page, 'enrol-now');
    await page.getByRole('button', { name: /passkey/ }).click();
    const enrolled = (await first.finish(await callbackUrl(page))).claims()!;
    expect(enrolled.acr).toBe(aal(3));
    expect(enrolled.amr).toEqual(expect.arrayContaining(['pwd', 'hwk', 'mfa']));
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]!.isResidentCredential).toBe(true);

    // A new sign-in (prompt=login) without typing anything: the discoverable passkey names the person.
    const again = await authorize(rp, { prompt: 'login' });
    await page.goto(again.url.href);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const claims = (await again.finish(await callbackUrl(page))).claims()!;
    expect(claims.sub).toBe(p.id);
    expect(claims.acr).toBe(aal(3));
    expect(claims.amr).toEqual(expect.arrayContaining(['hwk', 'user', 'mfa']));
    expect(claims.amr).not.toContain('pwd');
    const events = await rt.services.audit.forSubject(p.id);
    expect(events.some((e) => e.action === 'authenticator.issued' && e.details.type === 'webauthn')).toBe(
      true,
    );
    expect(events.some((e) => e.action === 'webauthn.authenticated')).toBe(true);
    await page.context().close();
  });

  it('steps an AAL2 session up to AAL3 with a device-bound passkey when acr_values asks for it', async () => {
    const page = await freshPage(chromium.browser);
    const { person } = await personWithPasskey(page, 'br-sam');
    const totp = await issueTotp(rt, person.id, admin);
    // An AAL2 sign-in with the app's code (the page offers the passkey first; the person picks the code).
    const aal2 = await authorize(rp, { prompt: 'login' });
    await page.goto(aal2.url.href);
    await page.getByLabel('Username').fill('br-sam');
    await page.getByLabel('Password').fill('br-sam password');
    await page.getByRole('button', { name: 'Continue' }).click();
    if (dialect === 'sqlite') await screenshot(page, 'second-factor-passkey');
    await page.getByRole('link', { name: /authenticator app/ }).click();
    await page.getByLabel('Verification code').fill(totp.code());
    await page.getByRole('button', { name: 'Verify' }).click();
    expect((await aal2.finish(await callbackUrl(page))).claims()!.acr).toBe(aal(2));

    // The application now asks for AAL3: the session is not enough, so the person signs in again.
    const aal3 = await authorize(rp, { acr_values: aal(3) });
    await page.goto(aal3.url.href);
    await page.getByLabel('Password').fill('br-sam password');
    await page.getByLabel('Username').fill('br-sam');
    await page.getByRole('button', { name: 'Continue' }).click();
    // Only the passkey reaches AAL3: the code is not offered.
    await page.getByRole('button', { name: 'Use a passkey' }).waitFor();
    expect(await page.getByRole('link', { name: /authenticator app/ }).count()).toBe(0);
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    const claims = (await aal3.finish(await callbackUrl(page))).claims()!;
    expect(claims.acr).toBe(aal(3));
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'hwk', 'mfa']));
    await page.context().close();
  });

  it('refuses a bogus signature, a missing user verification and a counter that went backwards, auditing each', async () => {
    const page = await freshPage(chromium.browser);
    const { person, cdp, authenticatorId } = await personWithPasskey(page, 'br-neg');
    const tryPasskeyFirst = async () => {
      const req = await authorize(rp, { prompt: 'login' });
      await page.goto(req.url.href);
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      expect(await page.getByRole('alert').textContent()).toContain('passkey could not sign you in');
      expect(page.url()).not.toContain('/cb?');
    };
    await cdp.send('WebAuthn.setResponseOverrideBits', { authenticatorId, isBogusSignature: true });
    await tryPasskeyFirst();
    if (dialect === 'sqlite') await screenshot(page, 'passkey-refused');
    await cdp.send('WebAuthn.setResponseOverrideBits', {
      authenticatorId,
      isBogusSignature: false,
      isBadUV: true,
    });
    await tryPasskeyFirst();
    await cdp.send('WebAuthn.setResponseOverrideBits', { authenticatorId, isBadUV: false });
    await rt.ctx.store.db
      .updateTable('webauthn_credentials')
      .set({ sign_count: 1_000_000 })
      .where('user_id', '=', person.id)
      .execute();
    await tryPasskeyFirst();
    const failed = await auditOf(person.id, 'webauthn.authentication_failed');
    // Chromium's bogus signature is not even valid DER, so the verifier throws on it: refused as invalid.
    expect(failed.map((e) => e.details.reason)).toEqual([
      'user_verification',
      expect.stringMatching(/^(bad_signature|invalid_response)$/),
    ]);
    const regressed = await auditOf(person.id, 'webauthn.counter_regressed');
    expect(regressed).toHaveLength(1);
    expect(regressed[0]!.details).toMatchObject({ stored: 1_000_000 });
    // Each refusal counted on the person's one failure counter.
    const row = await rt.ctx.store.db
      .selectFrom('users')
      .select('failed_attempts')
      .where('id', '=', person.id)
      .executeTakeFirstOrThrow();
    expect(row.failed_attempts).toBe(3);
    await page.context().close();
  });
});
