import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rescheduled } from '../src/lifecycle/requirement-row.js';
import { enrolmentRequirementsRepo } from '../src/store/repos/enrolment-requirements.js';
import { DIALECTS } from './support/databases.js';
import { dayOnePassRuntime, drainJobs, passJobRunAt, personOverApi } from './support/lifecycle.js';
import { apiRequest, mailTo, type TestRuntime } from './support/runtime.js';

const DAY = 24 * 60 * 60 * 1000;
const HOUR = 60 * 60 * 1000;
const actor = { label: 'test' };
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Issue 4, the start date: the grace period starts on day one, not at creation (reminders and
 * escalation count from it); `PATCH /api/v1/users/{id}` changes a person, and a changed start
 * date moves the open requirement's deadline, its reminders and the manager's day-one pass.
 * Everything on the controlled clock.
 */
describe.each(DIALECTS)('the start date drives enrolment timing on %s', (dialect) => {
  let rt: TestRuntime;
  let admin: string;
  const t0 = Date.UTC(2026, 10, 28, 12, 0, 0);
  const start = Date.UTC(2026, 11, 8);

  beforeAll(async () => {
    // 14 days to enrol, reminders on days 1, 3 and 6 of the grace period; day-one passes allowed.
    ({ rt, admin } = await dayOnePassRuntime(dialect, t0, {
      policy: {
        name: 'timing',
        rules: { graceDays: 14, reminderDays: [13, 11, 8], accessPassMinutes: 24 * 60 },
      },
      rule: 'Starters: a day-one pass to the manager 3 days ahead',
      groupName: 'starters',
      daysBefore: 3,
    }));
  });
  afterAll(() => rt.dispose());

  const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: Record<string, unknown>) =>
    apiRequest(rt, admin, method, url, payload);
  const person = (body: Record<string, unknown>) => personOverApi(rt, admin, body);
  const requirement = async (id: string) => {
    const res = await api('GET', `/users/${id}/requirements`);
    expect(res.statusCode, res.body).toBe(200);
    const open = (res.json().requirements as Array<Record<string, string>>).filter(
      (r) => r.status === 'open',
    );
    expect(open).toHaveLength(1);
    return open[0]!;
  };
  const audit = async (id: string, action: string) =>
    (await rt.services.audit.forSubject(id)).filter((e) => e.action === action);
  const passMails = async (address: string) =>
    (await mailTo(rt, address)).filter((m) => m.subject.includes('Temporary Access Pass'));

  it('counts the deadline, the reminders and the escalation from a start date ahead, not from creation', async () => {
    rt.clock.set(t0);
    const boss = await person({ username: 'boss1', email: 'boss1@example.org', displayName: 'Boss One' });
    const id = await person({
      username: 'later',
      email: 'later@example.org',
      displayName: 'La Ter',
      managerId: boss,
      startDate: '2026-12-08',
    });
    const view = (await api('GET', `/users/${id}`)).json();
    expect(view).toMatchObject({ startDate: '2026-12-08', managerId: boss });
    const req = await requirement(id);
    expect(req).toMatchObject({
      createdAt: iso(t0),
      countsFrom: iso(start),
      deadline: iso(start + 14 * DAY),
    });
    const [opened] = await audit(id, 'lifecycle.requirement_opened');
    expect(opened?.details).toMatchObject({ countsFrom: iso(start), deadline: iso(start + 14 * DAY) });

    // The invitation goes out at once (no pass rule for this person): the link is there before day one.
    await drainJobs(rt);
    const mails = async () => (await mailTo(rt, 'later@example.org')).length;
    const bossMails = async () =>
      (await mailTo(rt, 'boss1@example.org')).filter((m) => m.subject.includes('La Ter')).length;
    expect(await mails()).toBe(1);

    const at = async (ms: number) => {
      rt.clock.set(ms);
      await drainJobs(rt);
    };
    // Counted from creation, day 1, 3 and 6 reminders and the day-7 escalation would all be due by now.
    await at(t0 + 7 * DAY + HOUR);
    expect(await mails()).toBe(1);
    expect(await bossMails()).toBe(0);
    await at(start + DAY + HOUR);
    expect(await mails()).toBe(2);
    await at(start + 3 * DAY + HOUR);
    expect(await mails()).toBe(3);
    await at(start + 6 * DAY + HOUR);
    expect(await mails()).toBe(4);
    expect(await bossMails()).toBe(0);
    // The default joiner rule escalates on day 7: of the grace period.
    await at(start + 7 * DAY + HOUR);
    expect(await bossMails()).toBe(1);
    const r = await requirement(id);
    expect(r).toMatchObject({ status: 'open', remindersSent: 3 });
  });

  it('a person without a start date counts from creation, as before', async () => {
    const t1 = t0 + 30 * DAY;
    rt.clock.set(t1);
    const id = await person({ username: 'now-joiner', email: 'now@example.org' });
    expect(await requirement(id)).toMatchObject({ countsFrom: iso(t1), deadline: iso(t1 + 14 * DAY) });
    expect((await api('GET', `/users/${id}`)).json()).toMatchObject({ startDate: null, managerId: null });
  });

  it('PATCH /users/{id} with a later start date moves the deadline, the reminders and the pass job', async () => {
    rt.clock.set(t0);
    const boss = await person({ username: 'boss2', email: 'boss2@example.org' });
    const id = await person({
      username: 'moved',
      email: 'moved@example.org',
      displayName: 'Mo Ved',
      groups: ['starters'],
      managerId: boss,
      startDate: '2026-12-08',
    });
    const req = await requirement(id);
    expect(req.deadline).toBe(iso(start + 14 * DAY));
    expect(await passJobRunAt(rt, req.id!)).toBe(start - 3 * DAY);

    const later = Date.UTC(2026, 11, 15);
    rt.clock.set(t0 + DAY);
    const res = await api('PATCH', `/users/${id}`, { startDate: '2026-12-15', displayName: 'Mo Ved Later' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      startDate: '2026-12-15',
      displayName: 'Mo Ved Later',
      managerId: boss,
    });
    expect(await requirement(id)).toMatchObject({
      id: req.id,
      countsFrom: iso(later),
      deadline: iso(later + 14 * DAY),
    });
    expect(await passJobRunAt(rt, req.id!)).toBe(later - 3 * DAY);
    const [updated] = await audit(id, 'person.updated');
    expect(updated?.details).toMatchObject({ changed: ['displayName', 'startDate'], source: 'api' });
    const [moved] = await audit(id, 'lifecycle.requirement_rescheduled');
    expect(moved?.details).toMatchObject({
      requirementId: req.id,
      deadline: { from: iso(start + 14 * DAY), to: iso(later + 14 * DAY) },
    });
    const [pass] = await audit(id, 'lifecycle.start_pass_rescheduled');
    expect(pass?.details).toMatchObject({ sendAt: { from: iso(start - 3 * DAY), to: iso(later - 3 * DAY) } });

    // Nothing on the old day; the pass on the new one, valid from the new start date.
    rt.clock.set(start - 3 * DAY + HOUR);
    await drainJobs(rt);
    expect(await passMails('boss2@example.org')).toEqual([]);
    rt.clock.set(later - 3 * DAY + HOUR);
    await drainJobs(rt);
    expect(await passMails('boss2@example.org')).toHaveLength(1);
    const [sent] = await audit(id, 'lifecycle.start_pass_sent');
    expect(sent?.details).toMatchObject({ validFrom: iso(later) });

    // Once the pass is out, a new date moves the deadline but not the pass: the audit says so.
    const res2 = await api('PATCH', `/users/${id}`, { startDate: '2026-12-22' });
    expect(res2.statusCode, res2.body).toBe(200);
    expect((await requirement(id)).deadline).toBe(iso(Date.UTC(2026, 11, 22) + 14 * DAY));
    expect(await audit(id, 'lifecycle.start_pass_not_rescheduled')).toHaveLength(1);
  });

  it('a start date removed before day one starts the grace period at once; the pass job runs now and invites instead', async () => {
    rt.clock.set(t0);
    const boss = await person({ username: 'boss3', email: 'boss3@example.org' });
    const id = await person({
      username: 'cleared',
      email: 'cleared@example.org',
      groups: ['starters'],
      managerId: boss,
      startDate: '2026-12-20',
    });
    const req = await requirement(id);
    expect(req.deadline).toBe(iso(Date.UTC(2026, 11, 20) + 14 * DAY));
    const t1 = t0 + 2 * DAY;
    rt.clock.set(t1);
    const res = await api('PATCH', `/users/${id}`, { startDate: null });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().startDate).toBeNull();
    expect(await requirement(id)).toMatchObject({ countsFrom: iso(t1), deadline: iso(t1 + 14 * DAY) });
    expect(await passJobRunAt(rt, req.id!)).toBe(t1);
    await drainJobs(rt);
    expect(await passMails('boss3@example.org')).toEqual([]);
    expect(await mailTo(rt, 'cleared@example.org')).toHaveLength(1);
    const [fallback] = await audit(id, 'lifecycle.start_pass_fallback');
    expect(fallback?.details).toMatchObject({ reason: 'no start date is known' });

    // A grace period already running stays where it is when the date is set into the past.
    rt.clock.set(t1 + DAY);
    expect((await api('PATCH', `/users/${id}`, { startDate: '2026-11-01' })).statusCode).toBe(200);
    expect(await requirement(id)).toMatchObject({ countsFrom: iso(t1), deadline: iso(t1 + 14 * DAY) });
  });

  it('import users with a changed startDate moves the deadline too', async () => {
    rt.clock.set(t0);
    const id = await person({ username: 'imported', email: 'imp@example.org', startDate: '2026-12-08' });
    expect((await requirement(id)).deadline).toBe(iso(start + 14 * DAY));
    const result = await rt.services.lifecycle.importPeople(
      actor,
      'username,startDate\nimported,2027-01-04\n',
      {
        dryRun: false,
      },
    );
    expect(result).toMatchObject({ updated: 1 });
    expect((await requirement(id)).deadline).toBe(iso(Date.UTC(2027, 0, 4) + 14 * DAY));
    expect(await audit(id, 'lifecycle.requirement_rescheduled')).toHaveLength(1);
  });

  it('PATCH /users/{id} changes username, email, externalId and manager; the list shows them', async () => {
    rt.clock.set(t0);
    const boss = await person({ username: 'boss4' });
    const id = await person({ username: 'renamed', email: 'old@example.org' });
    const res = await api('PATCH', `/users/${id}`, {
      username: 'Renamed-2',
      email: 'new@example.org',
      externalId: 'HR-77',
      managerId: boss,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      username: 'Renamed-2',
      email: 'new@example.org',
      externalId: 'HR-77',
      managerId: boss,
    });
    expect((await rt.services.identity.findByUsername('renamed-2'))?.id).toBe(id);
    const list = await api('GET', '/users?q=renamed');
    expect(list.json().people).toEqual([expect.objectContaining({ id, managerId: boss, startDate: null })]);
    // The same values again: nothing to write, no audit event.
    const before = (await audit(id, 'person.updated')).length;
    expect((await api('PATCH', `/users/${id}`, { email: 'new@example.org' })).statusCode).toBe(200);
    expect(await audit(id, 'person.updated')).toHaveLength(before);
    // Clearing with null.
    const cleared = await api('PATCH', `/users/${id}`, { managerId: null, externalId: null });
    expect(cleared.json()).toMatchObject({ managerId: null, externalId: null });
  });

  it('bad input is a clear 4xx and changes nothing', async () => {
    rt.clock.set(t0);
    const other = await person({ username: 'taken', externalId: 'EXT-taken' });
    const id = await person({ username: 'target', displayName: 'Tar Get', startDate: '2026-12-08' });
    const reqBefore = await requirement(id);
    const snapshot = async () => ({
      row: await rt.ctx.store.db
        .selectFrom('users')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow(),
      events: (await rt.services.audit.forSubject(id)).length,
      requirement: await requirement(id),
    });
    const before = await snapshot();
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{}, 400, 'at least one'],
      [{ nickname: 'x' }, 400, 'nickname'],
      [{ startDate: '2026-02-30' }, 400, 'startDate'],
      [{ startDate: '08/12/2026' }, 400, 'startDate'],
      [{ startDate: 20261208 }, 400, 'startDate'],
      [{ email: 'not-an-address' }, 400, 'email'],
      [{ username: null }, 400, 'username'],
      [{ username: ' ' }, 400, 'username'],
      [{ displayName: 'Ok', managerId: 'nobody-here' }, 400, 'managerId'],
      [{ managerId: id }, 400, 'own manager'],
      [{ username: 'TAKEN' }, 409, 'taken'],
      [{ externalId: 'EXT-taken', startDate: '2027-01-01' }, 409, 'EXT-taken'],
    ];
    for (const [body, status, says] of cases) {
      const res = await api('PATCH', `/users/${id}`, body);
      expect(res.statusCode, `${JSON.stringify(body)}: ${res.body}`).toBe(status);
      expect(res.body).toContain(says);
    }
    const notJson = await (await rt.app()).inject({
      method: 'PATCH',
      url: `/api/v1/users/${id}`,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      payload: '{"startDate":',
    });
    expect(notJson.statusCode).toBe(400);
    expect((await api('PATCH', '/users/no-such-person', { displayName: 'X' })).statusCode).toBe(404);
    const helpdesk = await rt.token('helpdesk');
    expect((await apiRequest(rt, helpdesk, 'PATCH', `/users/${id}`, { displayName: 'X' })).statusCode).toBe(
      403,
    );
    expect(await snapshot()).toEqual(before);
    expect(before.requirement.deadline).toBe(reqBefore.deadline);
    expect((await api('GET', `/users/${other}`)).json().username).toBe('taken');
  });

  it('two concurrent renames to one username: one wins, the other is 409, and nobody shares it', async () => {
    const a = await person({ username: 'race-a' });
    const b = await person({ username: 'race-b' });
    const results = await Promise.all(
      [a, b].map((id) => api('PATCH', `/users/${id}`, { username: 'race-winner' })),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const holder = await rt.services.identity.findByUsername('RACE-WINNER');
    expect(holder?.id).toBe(results[0]!.statusCode === 200 ? a : b);
    const loser = results[0]!.statusCode === 200 ? b : a;
    expect((await api('GET', `/users/${loser}`)).json().username).toMatch(/^race-[ab]$/);
  });

  it('rescheduling is a compare-and-set: a sweep step written since the read wins, and a fresh read goes through', async () => {
    rt.clock.set(t0);
    const id = await person({ username: 'cas', email: 'cas@example.org', startDate: '2026-12-08' });
    const db = rt.ctx.store.db;
    const [read] = await enrolmentRequirementsRepo.openForUser(db, id);
    // A sweep step (a reminder sent) lands between the read and the write.
    expect(
      await enrolmentRequirementsRepo.recordSweep(db, read!.id, read!.next_action_at!, {
        remindersSent: 1,
        lastReminderAt: t0,
        escalatedAt: null,
        nextActionAt: read!.next_action_at! + DAY,
      }),
    ).toBe(true);
    const later = Date.UTC(2026, 11, 20);
    expect(await enrolmentRequirementsRepo.reschedule(db, read!, rescheduled(read!, later))).toBe(false);
    const fresh = (await enrolmentRequirementsRepo.byId(db, read!.id))!;
    expect(fresh.deadline).toBe(read!.deadline);
    expect(await enrolmentRequirementsRepo.reschedule(db, fresh, rescheduled(fresh, later))).toBe(true);
    expect((await enrolmentRequirementsRepo.byId(db, read!.id))!.deadline).toBe(later + 14 * DAY);
  });
});
