import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redeemOneTimeCode } from '../src/authenticators/redeem-one-time-code.js';
import { DIALECTS } from './support/databases.js';
import { dayOnePassRuntime, drainJobs, personOverApi } from './support/lifecycle.js';
import { urlsIn } from './support/links.js';
import { apiRequest, mailTo, type TestRuntime } from './support/runtime.js';

const DAY = 24 * 60 * 60 * 1000;
const MINUTE = 60 * 1000;
const actor = { label: 'test' };

/**
 * Issue 4, joiner with a known start date: a joiner rule hands the manager a Temporary Access
 * Pass N days before day one (a durable job with run_at), usable from the start date only, once.
 * Without a manager, the invitation goes out at once and the audit says why.
 */
describe.each(DIALECTS)('a day-one pass to the manager on %s', (dialect) => {
  let rt: TestRuntime;
  let admin: string;
  const t0 = Date.UTC(2026, 10, 28, 12, 0, 0);
  // Start date 10 days ahead, midnight UTC; the rule says 3 days before.
  const start = Date.UTC(2026, 11, 8);

  beforeAll(async () => {
    // The pass lifetime is policy's: a whole day one.
    ({ rt, admin } = await dayOnePassRuntime(dialect, t0, {
      policy: { name: 'day-one passes', rules: { accessPassMinutes: 24 * 60 } },
      rule: 'New starters: a day-one pass to the manager 3 days ahead',
      groupName: 'starters',
      daysBefore: 3,
    }));
  });
  afterAll(() => rt.dispose());

  const api = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
    apiRequest(rt, admin, method, url, payload);
  const inbox = (address: string) => mailTo(rt, address);
  const passMails = async (address: string) =>
    (await inbox(address)).filter((m) => m.subject.includes('Temporary Access Pass'));
  const actions = async (userId: string) => (await rt.services.audit.forSubject(userId)).map((e) => e.action);
  const person = (body: Record<string, unknown>) => personOverApi(rt, admin, body);
  const redeem = (userId: string, code: string) =>
    redeemOneTimeCode(rt.ctx, 'access_pass', userId, code, actor);

  it('nothing before N days; on the day the manager gets the pass; refused before the start, accepted on it, once', async () => {
    const boss = await person({ username: 'boss', email: 'boss@example.org', displayName: 'Bo Ss' });
    const id = await person({
      username: 'newbie',
      email: 'newbie@example.org',
      displayName: 'New Bie',
      groups: ['starters'],
      managerId: boss,
      startDate: '2026-12-08',
    });
    expect(await actions(id)).toEqual(
      expect.arrayContaining(['lifecycle.requirement_opened', 'lifecycle.start_pass_scheduled']),
    );
    await drainJobs(rt);
    // The pass replaces the invitation: the joiner is not mailed a link at once.
    expect(await inbox('newbie@example.org')).toEqual([]);
    expect(await passMails('boss@example.org')).toEqual([]);

    rt.clock.set(start - 3 * DAY - MINUTE);
    await drainJobs(rt);
    expect(await passMails('boss@example.org')).toEqual([]);

    rt.clock.set(start - 3 * DAY);
    await drainJobs(rt);
    const mails = await passMails('boss@example.org');
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.subject).toContain('New Bie');
    expect(urlsIn(mail.text)).toHaveLength(1);
    const code = /on their first day: ([A-Z0-9-]+)/.exec(mail.text)?.[1];
    expect(code, mail.text).toBeTruthy();
    expect(mail.text).toContain('not before');
    const sent = (await rt.services.audit.forSubject(id)).find(
      (e) => e.action === 'lifecycle.start_pass_sent',
    );
    expect(sent?.details).toMatchObject({
      managerId: boss,
      validFrom: new Date(start).toISOString(),
      expiresAt: new Date(start + DAY).toISOString(),
    });
    expect(JSON.stringify(sent)).not.toContain(code!);

    // A second run of the job (at-least-once delivery) sends nothing more.
    await drainJobs(rt);
    expect(await passMails('boss@example.org')).toHaveLength(1);

    // The right pass, a day early: refused, and it stays usable.
    rt.clock.set(start - DAY);
    expect(await redeem(id, code!)).toBe(false);
    const early = (await rt.services.audit.forSubject(id)).filter((e) => e.action === 'access_pass.rejected');
    expect(early.at(-1)?.details).toMatchObject({ reason: 'not_yet_valid' });

    rt.clock.set(start + 9 * 60 * MINUTE);
    expect(await redeem(id, code!)).toBe(true);
    expect(await redeem(id, code!)).toBe(false);
  });

  it('without a manager the rule falls back to the invitation at once, and says so', async () => {
    rt.clock.set(t0);
    const id = await person({
      username: 'loner',
      email: 'loner@example.org',
      groups: ['starters'],
      startDate: '2026-12-08',
    });
    const fallback = (await rt.services.audit.forSubject(id)).find(
      (e) => e.action === 'lifecycle.start_pass_fallback',
    );
    expect(fallback?.details).toMatchObject({ reason: 'the person has no manager' });
    await drainJobs(rt);
    expect(await inbox('loner@example.org')).toHaveLength(1);
    const jobs = await rt.services.jobs.list({ kind: 'joiner-start-pass' });
    expect(jobs.some((j) => JSON.stringify(j).includes(id))).toBe(false);
  });

  it('import users takes a startDate column: the pass is scheduled for the CSV joiner, a bad date names its line', async () => {
    rt.clock.set(t0);
    const run = (csv: string) => rt.services.lifecycle.importPeople(actor, csv, { dryRun: false });
    const bad = await run('username,startDate\nxx,2026-13-01\n').catch((e: unknown) => e);
    expect((bad as Error).message).toMatch(/^line 2: startDate is not a calendar date YYYY-MM-DD/);
    await run(
      'username,email,groups,manager,startDate\ncsv-boss,cb@example.org,,,\ncsv-new,cn@example.org,starters,csv-boss,2026-12-08\n',
    );
    const csvNew = (await rt.services.identity.findByUsername('csv-new'))!;
    const row = await rt.ctx.store.db
      .selectFrom('users')
      .select('start_date')
      .where('id', '=', csvNew.id)
      .executeTakeFirstOrThrow();
    expect(Number(row.start_date)).toBe(start);
    expect(await actions(csvNew.id)).toContain('lifecycle.start_pass_scheduled');
    // A second run with the same date changes nothing.
    const again = await rt.services.lifecycle.importPeople(
      actor,
      'username,startDate\ncsv-new,2026-12-08\n',
      { dryRun: true },
    );
    expect(again).toMatchObject({ updated: 0, unchanged: 1 });
  });

  it('a bad start date is a 400 naming it, and creates nobody', async () => {
    const res = await api('POST', '/users', { username: 'bad-date', startDate: '2026-02-30' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('startDate');
    expect(await rt.services.identity.findByUsername('bad-date')).toBeUndefined();
  });
});
