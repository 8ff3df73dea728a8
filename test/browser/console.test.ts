import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBase32, totp } from '../../src/authenticators/otp/index.js';
import { parseStartDate } from '../../src/identity/start-date.js';
import { ManualClock } from '../../src/shared/clock.js';
import { runCli } from '../support/cli.js';
import { consolePerson } from '../support/console.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';
import type { TestRuntime } from '../support/runtime.js';
import { a11yReport, drawnCharts, tabTo } from './page-checks.js';
import { freshPage, launchChromium, screenshot, servedRuntime } from './support.js';

/** Screenshots of every console page: a CI artifact (gitignored). */
const SHOTS = join(process.cwd(), 'test-results', 'console');
const VECTORS = new URL('../../../shared/vectors/', import.meta.url);

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(() => browser?.close());

/**
 * Signs in to /console in Chromium the way a person does: /console signed out → the sign-in
 * page → password → TOTP → back to /console, which lands on the dashboard.
 */
async function signIn(
  page: Page,
  url: string,
  who: { username: string; password: string },
  code: () => string,
) {
  await page.goto(`${url}/console`);
  expect(new URL(page.url()).pathname).not.toMatch(/^\/console/);
  await page.getByLabel('Username').fill(who.username);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('Verification code').fill(code());
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.waitForURL(`${url}/console/dashboard`);
  expect(await page.locator('h1').textContent()).toBe('Dashboard');
}

/** Rows of the page's tables. */
const tableRows = (page: Page) => page.locator('table tbody tr').count();

describe.each(DIALECTS)('the admin console in Chromium on %s', (dialect) => {
  let rt: TestRuntime & { url: string };
  let ada: Awaited<ReturnType<typeof consolePerson>>;
  let rootId: string;
  let cleoId: string;

  beforeAll(async () => {
    rt = await servedRuntime(dialect);
    const admin = await rt.token('admin');
    ada = await consolePerson(rt, 'con-ada', ['admin', 'helpdesk', 'approver', 'auditor'], admin);
    await consolePerson(rt, 'con-ben', [], admin, ['sales']);
    // A joiner who starts after the runtime's today, with con-ada as manager.
    const cleo = await rt.services.identity.create(
      { label: 'test' },
      {
        username: 'con-cleo',
        displayName: 'Cleo New',
        startDate: parseStartDate('2027-03-01'),
        managerId: ada.id,
      },
    );
    cleoId = cleo.id;
    const root = await rt.services.identity.create(
      { label: 'test' },
      { username: 'con-root', email: 'root@example.org', groups: ['admins'] },
    );
    rootId = root.id;
    // A privileged person's recovery request waits for an approver; its notice lands in the outbox.
    const opened = await (await rt.app()).inject({
      method: 'POST',
      url: '/api/v1/recovery-requests',
      headers: { authorization: `Bearer ${await rt.token('helpdesk', 'desk')}` },
      payload: { userId: root.id, proofingMethod: 'video_call', proofingReference: 'INC-1' },
    });
    expect(opened.statusCode).toBe(201);
    const worker = rt.services.jobs.worker({ workerId: 'mail' });
    while ((await worker.runOnce()) > 0) {}
    await rt.services.policies.exceptions.grant(
      { label: 'test' },
      {
        groupName: 'sales',
        waives: { aal: 1 },
        owner: 'it-security',
        reason: 'field trip without phones',
        expiresAt: new Date(rt.clock.now() + 3 * 86_400_000).toISOString(),
      },
    );
    await rt.services.sso.clients.create(
      { label: 'test' },
      { name: 'Wiki', redirectUris: ['https://wiki.example.org/cb'] },
    );
  });
  afterAll(() => rt?.dispose());

  it('shows every page with its charts and tables after a password + TOTP sign-in; accessible main pages', async () => {
    const page = await freshPage(browser);
    await signIn(page, rt.url, ada, ada.nextCode);
    const shoot = async (name: string) => {
      if (dialect === 'sqlite') await screenshot(page, name, SHOTS);
    };
    const visit = async (path: string, h1: string) => {
      const res = await page.goto(`${rt.url}${path}`);
      expect(res?.status(), path).toBe(200);
      expect(await page.locator('h1').textContent(), path).toBe(h1);
    };
    const accessible = async (path: string, action: RegExp) => {
      const report = await a11yReport(page);
      expect(report, path).toEqual({ h1: 1, unlabelled: [], headingJumps: [] });
      expect(await tabTo(page, action), `${path}: Tab reaches ${action}`).toEqual({
        reached: true,
        visible: true,
      });
    };

    await visit('/console/dashboard', 'Dashboard');
    expect(await drawnCharts(page)).toBe(5);
    expect(await page.locator('.tile').count()).toBeGreaterThanOrEqual(10);
    await shoot('dashboard');
    await accessible('/console/dashboard', /^People$/);

    await visit('/console/people', 'People');
    expect(await tableRows(page)).toBeGreaterThanOrEqual(3);
    expect(await page.getByRole('columnheader').nth(4).textContent()).toBe('Start date');
    const cleoRow = page.getByRole('row', { name: /con-cleo/ });
    expect(await cleoRow.getByRole('cell').nth(4).textContent()).toBe('starts on 2027-03-01');
    await page.getByLabel('Search people').fill('con-b');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => tableRows(page)).toBe(1);
    await shoot('people');
    await accessible('/console/people', /^Search$/);

    await page.getByRole('link', { name: 'con-ben' }).click();
    expect(await page.locator('h1').textContent()).toBe('con-ben');
    expect(await page.getByRole('table', { name: 'Factors' }).locator('tbody tr').count()).toBe(1);
    expect(
      await page.getByRole('table', { name: 'Latest events' }).locator('tbody tr').count(),
    ).toBeGreaterThan(0);
    await page.getByLabel('auditor').check();
    await page.getByRole('button', { name: 'Save roles' }).click();
    expect(await page.getByRole('status').first().textContent()).toContain('roles were saved');
    const factors = page.getByRole('table', { name: 'Factors' });
    await factors.getByLabel(/^Reason for/).fill('on leave');
    await factors.getByRole('button', { name: 'Suspend' }).click();
    expect(await page.getByRole('status').first().textContent()).toContain('factor was suspended');
    expect(await factors.locator('tbody tr').first().textContent()).toContain('suspended (on leave)');
    await shoot('person');
    await accessible('/console/people/:id', /^Save roles$/);

    // A joiner's start date ahead and their manager, linked to the manager's own page.
    await visit(`/console/people/${encodeURIComponent(cleoId)}`, 'Cleo New');
    expect(await page.getByText('starts on 2027-03-01 · manager: con-ada').count()).toBe(1);
    await shoot('person-joiner');
    await page.getByRole('link', { name: 'con-ada', exact: true }).click();
    expect(await page.locator('h1').textContent()).toBe('con-ada');
    expect(new URL(page.url()).pathname).toBe(`/console/people/${encodeURIComponent(ada.id)}`);

    await visit('/console/authenticators', 'Authenticators');
    expect(await page.getByRole('table', { name: 'Factors' }).locator('tbody tr').count()).toBeGreaterThan(0);
    await page.getByLabel('PSKC file').setInputFiles(new URL('pskc-rfc6030/figure6.xml', VECTORS).pathname);
    await expect.poll(() => page.getByLabel(/PSKC document/).inputValue()).toContain('KeyContainer');
    await page.getByLabel(/Pre-shared key/).fill('12345678901234567890123456789012');
    await page.getByRole('button', { name: 'Import tokens' }).click();
    expect(await page.getByRole('status').first().textContent()).toContain('1 tokens were added');
    expect(await page.getByRole('table', { name: 'Inventory' }).locator('tbody tr').count()).toBe(1);
    // The same file again: refused on the page (409), nothing added, never a 500.
    await page.getByLabel('PSKC file').setInputFiles(new URL('pskc-rfc6030/figure6.xml', VECTORS).pathname);
    await expect.poll(() => page.getByLabel(/PSKC document/).inputValue()).toContain('KeyContainer');
    await page.getByLabel(/Pre-shared key/).fill('12345678901234567890123456789012');
    await page.getByRole('button', { name: 'Import tokens' }).click();
    expect(await page.getByRole('alert').textContent()).toMatch(/serial/i);
    // Hand the token to con-ben, then take it back with a reason.
    await page.getByLabel('Token', { exact: true }).selectOption({ index: 0 });
    await page.getByLabel('Person (username)').fill('con-ben');
    await page.getByRole('button', { name: 'Assign token' }).click();
    expect(await page.getByRole('status').first().textContent()).toContain('token was assigned');
    const inventory = page.getByRole('table', { name: 'Inventory' });
    expect(await inventory.locator('tbody tr').first().textContent()).toContain('assigned');
    await inventory.getByLabel(/^Reason to return/).fill('given to the wrong person');
    await inventory.getByRole('button', { name: 'Return' }).click();
    expect(await page.getByRole('status').first().textContent()).toContain('returned to the inventory');
    expect((await rt.services.inventory.list())[0]?.userId).toBeNull();
    await shoot('authenticators');
    await accessible('/console/authenticators', /^Show$/);

    await visit('/console/policies', 'Policies and exceptions');
    expect(
      await page
        .getByRole('table', { name: /^Exceptions/ })
        .locator('tbody tr')
        .count(),
    ).toBe(1);
    await page.getByRole('link', { name: 'expiring' }).click();
    expect(
      await page
        .getByRole('table', { name: /^Exceptions/ })
        .locator('tbody tr')
        .count(),
    ).toBe(1);
    await shoot('policies');
    await accessible('/console/policies', /^Revoke$/);

    await visit('/console/helpdesk', 'Help desk');
    const open = page.getByRole('table', { name: 'Open requests' });
    expect(await open.locator('tbody tr').count()).toBe(1);
    await shoot('helpdesk');
    await accessible('/console/helpdesk', /^Approve$/);
    await open.getByRole('button', { name: 'Approve' }).click();
    const pass = await page.getByRole('heading', { level: 1 }).textContent();
    expect(['Temporary Access Pass', 'Help desk']).toContain(pass);
    expect(
      (await rt.services.recovery.list({ limit: 10, offset: 0 })).find((r) => r.userId === rootId)?.state,
    ).not.toBe('open');
    // Open a request for con-ben: search, proofing evidence; policy shows the pass to the agent.
    await visit('/console/helpdesk', 'Help desk');
    await page.getByLabel(/^Find the person/).fill('con-ben');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('radio', { name: /con-ben/ }).check();
    await page.getByLabel('Identity proofing method').selectOption('in_person');
    await page.getByLabel(/^Proofing reference/).fill('INC-42');
    await page.getByRole('button', { name: 'Open request' }).click();
    expect(await page.locator('h1').textContent()).toBe('Temporary Access Pass');
    expect(await page.getByTestId('access-pass').textContent()).toMatch(/\S{6,}/);
    const ben = (await rt.services.recovery.list({ limit: 10, offset: 0 })).find(
      (r) => r.proofingReference === 'INC-42',
    );
    expect(ben).toMatchObject({
      requestedBy: 'user:con-ada',
      proofingMethod: 'in_person',
      state: 'approved',
    });

    await visit('/console/audit', 'Audit trail');
    expect(await tableRows(page)).toBeGreaterThan(5);
    await page.getByLabel('Action starts with').fill('person.roles');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => tableRows(page)).toBe(3);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'CSV' }).click(),
    ]);
    const csv = await readFile((await download.path())!, 'utf8');
    expect(csv.split('\r\n').filter(Boolean)).toHaveLength(4);
    expect(csv).toMatch(/^seq,time,actor,action,/);
    await shoot('audit');
    await accessible('/console/audit', /^Filter$/);

    await visit('/console/clients', 'Applications');
    expect(await page.getByRole('cell', { name: 'Wiki', exact: true }).count()).toBe(1);
    await shoot('clients');

    await visit('/console/outbox', 'Mail outbox');
    expect(await tableRows(page)).toBeGreaterThan(0);
    await shoot('outbox');
    await page.context().close();
  }, 120_000);
});

describe('the console after `portcullis demo` on an empty database', () => {
  let tdb: TestDatabase;
  let rt: TestRuntime & { url: string };
  let out: string;

  beforeAll(async () => {
    tdb = await createTestDatabase('sqlite');
    const run = await runCli(tdb.url, ['demo', '--people', '60']);
    expect(run.code).toBe(0);
    out = run.stdout;
    // The demo's history ends now: the runtime's clock starts there (codes are not replays).
    rt = await servedRuntime('sqlite', { db: tdb, clock: new ManualClock(Date.now()) });
  }, 180_000);
  afterAll(async () => {
    await rt?.dispose();
    await tdb?.drop();
  });

  it('lets the demo person sign in to a dashboard with non-zero figures and drawn charts', async () => {
    expect(out).toMatch(/Admin console: +http:\/\/\S+\/console/);
    const [, username, password] = /Demo person: +(\S+) \/ (.+)/.exec(out)!;
    const secret = /Their TOTP secret: ([A-Z2-7]+)/.exec(out)![1]!;
    const code = () => {
      rt.clock.advance(30_000);
      return totp(decodeBase32(secret), rt.clock.now(), { algorithm: 'SHA1', digits: 6, period: 30 });
    };
    const page = await freshPage(browser);
    await signIn(page, rt.url, { username: username!, password: password!.trim() }, code);
    await page.goto(`${rt.url}/console/dashboard`);
    expect(await drawnCharts(page)).toBe(5);
    const figure = async (label: string) =>
      (await page.locator('.tile', { hasText: label }).locator('b').textContent())!;
    expect(Number(await figure('active people'))).toBeGreaterThan(40);
    expect(Number.parseFloat(await figure('enrolment completed'))).toBeGreaterThan(0);
    expect(
      await page.getByRole('table', { name: 'Enrolment by group' }).locator('tbody tr').count(),
    ).toBeGreaterThan(1);
    await screenshot(page, 'dashboard-demo', SHOTS);
    await page.context().close();
  }, 60_000);
});
