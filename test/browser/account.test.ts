import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBase32, totp } from '../../src/authenticators/otp/index.js';
import { DIALECTS } from '../support/databases.js';
import { createPerson, issueTotp } from '../support/people.js';
import type { TestRuntime } from '../support/runtime.js';
import { addVirtualAuthenticator, freshPage, launchChromium, screenshot, servedRuntime } from './support.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(() => browser?.close());

describe.each(DIALECTS)('the /account portal in Chromium on %s', (dialect) => {
  let rt: TestRuntime & { url: string };
  beforeAll(async () => {
    rt = await servedRuntime(dialect);
  });
  afterAll(() => rt?.dispose());

  /** The next TOTP step (a step is accepted once), as a code for `secret`. */
  const nextCode = (secret: Buffer) => {
    rt.clock.advance(30_000);
    return totp(secret, rt.clock.now(), { algorithm: 'SHA1', digits: 6, period: 30 });
  };

  async function signInWithCode(page: Page, username: string, code: string) {
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(`${username} password`);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Verification code').fill(code);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(/\/account(\?|$)/);
  }

  it('adds a TOTP, renames it, and removes it only after a fresh sign-in; never the last factor', async () => {
    const admin = await rt.token('admin');
    const p = await createPerson(rt, 'acc-ann', { password: 'acc-ann password' });
    const first = await issueTotp(rt, p.id, admin);
    const firstSecret = decodeBase32(first.secret);
    const page = await freshPage(browser);

    // Signing in to /account is an ordinary sign-in through the provider.
    await page.goto(`${rt.url}/account`);
    await signInWithCode(page, 'acc-ann', nextCode(firstSecret));
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Your account');

    await page.getByRole('button', { name: 'Add an authenticator app' }).click();
    const key = (await page.getByTestId('manual-key').textContent())!.replace(/\s/g, '');
    if (dialect === 'sqlite') await screenshot(page, 'account-add-totp');
    await page.getByLabel('Code from the app').fill(nextCode(decodeBase32(key)));
    await page.getByRole('button', { name: 'Confirm' }).click();
    expect(await page.getByRole('status').first().textContent()).toContain('was added');

    await page.getByText('Rename Authenticator app', { exact: true }).click();
    const opened = page.locator('details[open]');
    await opened.getByLabel('New name').fill('Work phone');
    await opened.getByRole('button', { name: 'Save name' }).click();
    expect(await page.getByRole('cell', { name: /^Work phone/ }).count()).toBe(1);
    if (dialect === 'sqlite') await screenshot(page, 'account');

    // Ten minutes later the sign-in is no longer fresh: removing asks to confirm first.
    await ageSession(p.id, 600);
    await page.getByRole('button', { name: 'Remove Work phone' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Confirm it is you');
    await page.getByRole('link', { name: 'Confirm it is you' }).click();
    await signInWithCode(page, 'acc-ann', nextCode(firstSecret));
    expect(await page.getByRole('status').first().textContent()).toContain('you can change');
    await page.getByRole('button', { name: 'Remove Work phone' }).click();
    expect(await page.getByRole('status').first().textContent()).toContain('was removed');
    expect(await page.getByText('Work phone').count()).toBe(0);

    // The one factor left that signs in cannot be removed.
    await page.getByRole('button', { name: /^Remove Authenticator app/ }).click();
    expect(await page.getByRole('alert').textContent()).toContain('last way to sign in');

    const actions = (await rt.services.audit.forSubject(p.id)).map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['account.factor_added', 'authenticator.renamed', 'account.factor_removed']),
    );
    const mails = await rt.ctx.store.db
      .selectFrom('jobs')
      .select('payload')
      .where('kind', '=', 'send-mail')
      .execute();
    const subjects = mails.map((m) => JSON.parse(m.payload) as { to: string; subject: string });
    const mine = subjects.filter((m) => m.to === 'acc-ann@example.org').map((m) => m.subject);
    expect(mine.some((s) => s.includes('added'))).toBe(true);
    expect(mine.some((s) => s.includes('removed'))).toBe(true);
    await page.context().close();
  });

  it('adds a passkey and regenerates recovery codes (shown once, downloadable)', async () => {
    const admin = await rt.token('admin');
    const p = await createPerson(rt, 'acc-bo', { password: 'acc-bo password' });
    const t = await issueTotp(rt, p.id, admin);
    const page = await freshPage(browser);
    const { cdp, authenticatorId } = await addVirtualAuthenticator(page, { synced: true });
    await page.goto(`${rt.url}/account`);
    await signInWithCode(page, 'acc-bo', nextCode(decodeBase32(t.secret)));
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.waitForURL(/done=added/);
    expect((await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials).toHaveLength(1);
    expect(await page.getByRole('cell', { name: /Passkey/ }).count()).toBeGreaterThan(0);

    await page.getByRole('button', { name: 'Get new recovery codes' }).click();
    const codes = await page.locator('ol.codes li').allTextContents();
    expect(codes).toHaveLength(10);
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download as text' }).click();
    const file = await (await download).path();
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(file, 'utf8')).toContain(codes[0]!);
    if (dialect === 'sqlite') await screenshot(page, 'account-recovery-codes');
    await page.context().close();
  });

  /** Moves the person's SSO session's sign-in time `seconds` into the past. */
  async function ageSession(userId: string, seconds: number) {
    const db = rt.ctx.store.db;
    const rows = await db
      .selectFrom('oidc_models')
      .select(['id', 'payload'])
      .where('kind', '=', 'Session')
      .where('account_id', '=', userId)
      .execute();
    for (const r of rows) {
      const payload = JSON.parse(r.payload) as { loginTs: number };
      payload.loginTs -= seconds;
      await db
        .updateTable('oidc_models')
        .set({ payload: JSON.stringify(payload) })
        .where('kind', '=', 'Session')
        .where('id', '=', r.id)
        .execute();
    }
  }
});
