import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DashboardSnapshot } from '../src/metrics/dashboard-snapshot.js';
import { runCli } from './support/cli.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { createTestRuntime } from './support/runtime.js';

/** `portcullis demo` as an operator runs it (CONTRACT.md, CLI), then the dashboard it fills. */
describe('demo CLI', () => {
  let tdb: TestDatabase;
  let first: Awaited<ReturnType<typeof runCli>>;

  beforeAll(async () => {
    tdb = await createTestDatabase('sqlite');
    first = await runCli(tdb.url, ['demo', '--people', '200']);
  }, 120_000);
  afterAll(async () => tdb?.drop());

  it('fills an empty database and prints how to sign in', () => {
    expect(first.stderr).not.toMatch(/portcullis demo:/);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/200 people/);
    expect(first.stdout).toMatch(/Admin API token: +\S+/);
    expect(first.stdout).toMatch(/Their TOTP secret: [A-Z2-7]{16,}/);
  });

  it('leaves a dashboard with non-zero figures, and an intact audit chain', async () => {
    const rt = await createTestRuntime('sqlite', { db: tdb });
    try {
      const token = /Admin API token: +(\S+)/.exec(first.stdout)![1]!;
      const res = await (await rt.app()).inject({
        method: 'GET',
        url: '/api/v1/metrics/dashboard',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.statusCode).toBe(200);
      const s = res.json() as DashboardSnapshot;
      expect(s.people.active).toBeGreaterThan(150);
      expect(s.people.byStatus.deprovisioned).toBeGreaterThan(0);
      expect(s.enrolment.overall.completionRatio).toBeGreaterThan(0.5);
      expect(s.enrolment.byGroup.length).toBeGreaterThan(3);
      expect(s.timeToEnrol.count).toBeGreaterThan(0);
      expect(s.factors.activeByType.totp).toBeGreaterThan(100);
      expect(s.factors.activeByType.hotp).toBeGreaterThan(0);
      expect(s.resets.last30d + s.resets.previous30d).toBeGreaterThan(0);
      expect(s.failures.last7d.current + s.failures.last7d.previous).toBeGreaterThan(0);
      expect(await rt.services.audit.verify()).toMatchObject({ ok: true });
    } finally {
      await rt.dispose();
    }
  });

  it('refuses a database that is not empty (exit 1)', async () => {
    const again = await runCli(tdb.url, ['demo', '--people', '5']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/not empty/);
    expect(again.stdout).toBe('');
  });
});
