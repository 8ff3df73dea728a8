import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases.js';
import { createPerson } from '../support/people.js';
import type { TestRuntime } from '../support/runtime.js';
import { authorize, relyingParty } from '../support/sso.js';
import { addVirtualAuthenticator, callbackUrl, freshPage, launchChromium, servedRuntime } from './support.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(() => browser?.close());

/** Issue 5: passkey-first sign-in asks the policy of the application signed in to. */
describe.each(DIALECTS)('passkey-first under an application policy in Chromium on %s', (dialect) => {
  let rt: TestRuntime & { url: string };

  beforeAll(async () => {
    rt = await servedRuntime(dialect);
  });
  afterAll(() => rt?.dispose());

  it('an application whose policy does not count passkeys refuses a passkey-first sign-in; another accepts it', async () => {
    const open = await relyingParty(rt);
    const totpOnly = await relyingParty(rt, { name: 'Legacy VPN' });
    await rt.services.policy.create(
      { label: 'test' },
      {
        name: 'vpn-totp-only',
        targetKind: 'client',
        target: totpOnly.clientId,
        rules: { allowedTypes: ['totp'] },
      },
    );
    const p = await createPerson(rt, 'pk-pol', { password: 'pk-pol password' });
    const page = await freshPage(browser);
    await addVirtualAuthenticator(page);
    const first = await authorize(open);
    await page.goto(first.url.href);
    await page.getByLabel('Username').fill('pk-pol');
    await page.getByLabel('Password').fill('pk-pol password');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: /passkey/ }).click();
    await first.finish(await callbackUrl(page));

    // Passkey-first to the application that counts only TOTP: the level is unmet, no code.
    const refused = await authorize(totpOnly, { prompt: 'login' });
    await page.goto(refused.url.href);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const back = new URL(await callbackUrl(page));
    expect(back.searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect(back.searchParams.get('code')).toBeNull();
    const failed = (await rt.services.audit.forSubject(p.id)).filter(
      (e) => e.action === 'sso.sign_in_failed',
    );
    expect(failed.at(-1)?.details).toMatchObject({
      reason: 'unmet_authentication_requirements',
      client: totpOnly.clientId,
    });

    // The same passkey-first to the other application signs in.
    const ok = await authorize(open, { prompt: 'login' });
    await page.goto(ok.url.href);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    expect((await ok.finish(await callbackUrl(page))).claims()!.sub).toBe(p.id);
    await page.context().close();
  });
});
