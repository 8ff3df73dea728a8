import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type CDPSession, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { ManualClock } from '../../src/shared/clock.js';
import type { Dialect, TestDatabase } from '../support/databases.js';
import { createPerson } from '../support/people.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { freePort } from '../support/server-process.js';
import { authorize, relyingParty } from '../support/sso.js';

/** The `acr` value of NIST assurance level `n`. */
export const aal = (n: number) => `http://idmanagement.gov/ns/assurance/aal/${n}`;

/** Debian's Chromium (never a downloaded browser), headless, with nothing that phones home. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** One Chromium for the test file: launched before its tests, closed after them; read `.browser` in a test. */
export function chromiumForFile(): { browser: Browser } {
  const held = {} as { browser: Browser };
  beforeAll(async () => {
    held.browser = await launchChromium();
  });
  afterAll(() => held.browser?.close());
  return held;
}

/**
 * A runtime listening on a real port with PUBLIC_URL=http://localhost:PORT: a host name, since
 * WebAuthn refuses IP addresses.
 */
export async function servedRuntime(
  dialect: Dialect,
  opts: { db?: TestDatabase; clock?: ManualClock; env?: Record<string, string> } = {},
): Promise<TestRuntime & { url: string }> {
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const rt = await createTestRuntime(dialect, { ...opts, env: { PUBLIC_URL: url, ...opts.env } });
  const app = await rt.app();
  await app.listen({ port, host: '127.0.0.1' });
  return Object.assign(rt, { url });
}

/** A served runtime with a registered relying party: the browser journeys' common setup. */
export interface ServedSetup {
  rt: TestRuntime & { url: string };
  rp: Awaited<ReturnType<typeof relyingParty>>;
}

export async function servedSetup(dialect: Dialect): Promise<ServedSetup> {
  const rt = await servedRuntime(dialect);
  return { rt, rp: await relyingParty(rt) };
}

/** A fresh browser context (its own cookies) and a page in it. */
export async function freshPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
  // Fail fast with the locator named, well inside the test's own timeout.
  context.setDefaultTimeout(8_000);
  return context.newPage();
}

/** Options of a DevTools virtual authenticator (a platform passkey with UV unless told otherwise). */
export interface VirtualAuthenticatorOptions {
  /** Backup eligible and backed up: a synced passkey (swk, AAL2). Default false: device-bound. */
  synced?: boolean;
  isUserVerified?: boolean;
  /** `internal` (default): the platform's own; `usb`: a security key (Chromium allows one internal per tab). */
  transport?: 'internal' | 'usb';
}

/** Adds a virtual FIDO2 authenticator to the page's tab; returns the CDP session and its id. */
export async function addVirtualAuthenticator(
  page: Page,
  opts: VirtualAuthenticatorOptions = {},
): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: opts.transport ?? 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: opts.isUserVerified ?? true,
      automaticPresenceSimulation: true,
      defaultBackupEligibility: opts.synced ?? false,
      defaultBackupState: opts.synced ?? false,
    },
  });
  return { cdp, authenticatorId };
}

const SHOTS = join(process.cwd(), 'test-artifacts', 'screenshots');

/** Saves a full-page screenshot to test-artifacts/screenshots/NAME.png, or to `dir` (both gitignored). */
export async function screenshot(page: Page, name: string, dir = SHOTS): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/** Waits until the browser is sent back to the relying party's redirect URI; returns that URL. */
export async function callbackUrl(page: Page): Promise<string> {
  await page.waitForURL(/\/cb\?/, { timeout: 15_000 });
  return page.url();
}

/**
 * A new person (password `USERNAME password`) who signs in with the password and enrols a passkey
 * (a virtual authenticator with `opts`) in the enrol-now flow: the person, the authenticator and
 * the ID token claims of that first sign-in.
 */
export async function personWithPasskey(
  { rt, rp }: ServedSetup,
  page: Page,
  username: string,
  opts: VirtualAuthenticatorOptions = {},
) {
  const person = await createPerson(rt, username, { password: `${username} password` });
  const authenticator = await addVirtualAuthenticator(page, opts);
  const req = await authorize(rp);
  await page.goto(req.url.href);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(`${username} password`);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: /passkey/ }).click();
  const claims = (await req.finish(await callbackUrl(page))).claims()!;
  return { person, authenticator, claims };
}

/**
 * Passkey-first (no username): a new authorization request (prompt=login, and `extra`) and the
 * passkey button pressed; returns the request, to finish on the redirect back.
 */
export async function passkeyFirst(rp: ServedSetup['rp'], page: Page, extra: Record<string, string> = {}) {
  const req = await authorize(rp, { prompt: 'login', ...extra });
  await page.goto(req.url.href);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  return req;
}
