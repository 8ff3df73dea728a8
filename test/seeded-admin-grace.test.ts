import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';

const DAY = 24 * 60 * 60 * 1000;

/**
 * Migration 0010 keeps the admin mover rule's 7-day passkey deadline, which the rule lost when
 * enrolment timing moved to policy: a seeded group policy for `admins` (graceDays 7), while
 * everyone else keeps the built-in 14 days.
 */
describe.each(DIALECTS)('the seeded admins grace policy on %s', (dialect) => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
  });
  afterAll(() => rt.dispose());

  it('is policy data an admin can see and change', async () => {
    const seeded = (await rt.services.policy.list()).filter((p) => p.target === 'admins');
    expect(seeded).toMatchObject([{ targetKind: 'group', rules: { graceDays: 7, reminderDays: [6, 4, 2] } }]);
  });

  it('a mover into admins must enrol a passkey within 7 days; someone else gets 14', async () => {
    const t0 = rt.clock.now();
    const run = (csv: string) =>
      rt.services.lifecycle.importPeople({ label: 'test' }, csv, { dryRun: false });
    await run('username,groups\nplain,staff\numa,staff\n');
    // A second import moves uma into admins: groups written first, then the mover event.
    await run('username,groups\numa,staff;admins\n');
    const staff = (await rt.services.identity.findByUsername('plain'))!;
    const uma = (await rt.services.identity.findByUsername('uma'))!;
    const mover = (await rt.services.lifecycle.requirementsOf(uma.id)).find((r) => r.reason === 'mover');
    expect(mover).toMatchObject({ phishingResistant: true, status: 'open' });
    expect(Date.parse(mover!.deadline)).toBe(t0 + 7 * DAY);
    const joiner = (await rt.services.lifecycle.requirementsOf(staff.id))[0]!;
    expect(Date.parse(joiner.deadline)).toBe(t0 + 14 * DAY);
  });
});
