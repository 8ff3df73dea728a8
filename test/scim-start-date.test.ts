import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { dayOnePassRuntime, passJobRunAt } from './support/lifecycle.js';
import { apiRequest, type TestRuntime } from './support/runtime.js';
import {
  ENTERPRISE,
  expectScimError,
  filter,
  type Json,
  PORTCULLIS,
  patchOp,
  scimClient,
  USER_SCHEMA,
} from './support/scim.js';

const DAY = 24 * 60 * 60 * 1000;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The start date on SCIM Users (issue 4): the Portcullis extension
 * `urn:ietf:params:scim:schemas:extension:portcullis:2.0:User` with `startDate` (a full-date),
 * in POST, PUT, PATCH (the shapes Entra ID and Okta send), discovery and filters; a bad date is
 * 400 invalidValue with nothing changed; a changed date moves the enrolment deadline and the
 * manager's day-one pass.
 */
describe.each(DIALECTS)('SCIM start date on %s', (dialect) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let scim: ReturnType<typeof scimClient>;
  let admin: string;
  let n = 0;
  const t0 = Date.UTC(2026, 10, 28, 12, 0, 0);

  beforeAll(async () => {
    ({ rt, admin } = await dayOnePassRuntime(dialect, t0, {
      policy: {
        name: 'timing',
        rules: { graceDays: 14, reminderDays: [13, 11, 8], accessPassMinutes: 24 * 60 },
      },
      rule: 'Everyone with a start date: a day-one pass to the manager 2 days ahead',
      groupName: null,
      daysBefore: 2,
    }));
    app = await rt.app();
    scim = scimClient(app, await rt.token('scim'));
  });
  afterAll(() => rt?.dispose());

  const create = async (extra: Json = {}) => {
    const res = await scim('POST', '/Users', { userName: `sd${++n}@example.org`, ...extra });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as Json;
  };
  /** A PatchOp of `ops` on one User. */
  const patchUser = (id: string, ...ops: Json[]) => scim('PATCH', `/Users/${id}`, patchOp(...ops));
  const getUser = async (id: string) => (await scim('GET', `/Users/${id}`)).json() as Json;
  const count = async (text: string) => {
    const res = await scim('GET', `/Users${filter(text)}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json().totalResults as number;
  };
  const openRequirement = async (id: string) => {
    const res = await apiRequest(rt, admin, 'GET', `/users/${id}/requirements`);
    return (res.json().requirements as Json[]).find((r) => r.status === 'open')!;
  };

  it('is described in discovery: a schema extension of User with startDate', async () => {
    const types = (await scim('GET', '/ResourceTypes/User')).json();
    expect(types.schemaExtensions).toContainEqual({ schema: PORTCULLIS, required: false });
    const schema = await scim('GET', `/Schemas/${PORTCULLIS}`);
    expect(schema.statusCode, schema.body).toBe(200);
    expect(schema.json().attributes).toEqual([
      expect.objectContaining({
        name: 'startDate',
        type: 'string',
        multiValued: false,
        mutability: 'readWrite',
      }),
    ]);
    expect(schema.json().attributes[0].description).toContain('YYYY-MM-DD');
  });

  it('POST takes it and every read returns it as a full-date; a User without one has no extension', async () => {
    const u = await create({
      schemas: [USER_SCHEMA, PORTCULLIS],
      [PORTCULLIS]: { startDate: '2026-12-08' },
    });
    expect(u[PORTCULLIS]).toEqual({ startDate: '2026-12-08' });
    expect(u.schemas).toEqual([USER_SCHEMA, PORTCULLIS]);
    expect((await getUser(u.id))[PORTCULLIS]).toEqual({ startDate: '2026-12-08' });
    expect((await apiRequest(rt, admin, 'GET', `/users/${u.id}`)).json().startDate).toBe('2026-12-08');
    // A hire date sent as a date-time at midnight UTC is that date.
    const dt = await create({ [PORTCULLIS]: { startDate: '2026-12-09T00:00:00Z' } });
    expect(dt[PORTCULLIS]).toEqual({ startDate: '2026-12-09' });
    const only = await scim(
      'GET',
      `/Users/${u.id}?attributes=${encodeURIComponent(`${PORTCULLIS}:startDate`)}`,
    );
    expect(only.json()).toMatchObject({ id: u.id, [PORTCULLIS]: { startDate: '2026-12-08' } });
    expect(only.json().userName).toBeUndefined();
    const plain = await create();
    expect(plain[PORTCULLIS]).toBeUndefined();
    expect(plain.schemas).toEqual([USER_SCHEMA]);
  });

  it('refuses a bad date with 400 invalidValue and creates nobody', async () => {
    const bad: unknown[] = [
      '2026-02-30',
      '2026-13-01',
      '08/12/2026',
      'next monday',
      '2026-12-08T09:30:00Z',
      20261208,
      true,
      { value: '2026-12-08' },
    ];
    for (const startDate of bad) {
      const userName = `bad-date-${++n}`;
      const res = await scim('POST', '/Users', { userName, [PORTCULLIS]: { startDate } });
      expectScimError(res, 400, 'invalidValue');
      expect(await count(`userName eq "${userName}"`)).toBe(0);
    }
    const unknown = await scim('POST', '/Users', {
      userName: 'x-unknown',
      [PORTCULLIS]: { hireDate: '2026-12-08' },
    });
    expectScimError(unknown, 400, 'invalidValue');
    expect(await count('userName eq "x-unknown"')).toBe(0);
  });

  it('PUT sets and, when left out, clears it', async () => {
    const u = await create();
    const put = (extra: Json) => scim('PUT', `/Users/${u.id}`, { userName: u.userName, ...extra });
    const set = await put({ [PORTCULLIS]: { startDate: '2027-01-04' } });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()[PORTCULLIS]).toEqual({ startDate: '2027-01-04' });
    expectScimError(await put({ [PORTCULLIS]: { startDate: '2027-02-29' } }), 400, 'invalidValue');
    expect((await getUser(u.id))[PORTCULLIS]).toEqual({ startDate: '2027-01-04' });
    const cleared = await put({});
    expect(cleared.statusCode, cleared.body).toBe(200);
    expect(cleared.json()[PORTCULLIS]).toBeUndefined();
  });

  it('PATCH in the shapes Entra ID and Okta send: a URN path, a path-less object keyed by the URN, remove', async () => {
    const u = await create({ [ENTERPRISE]: { department: 'Sales' } });
    const patch = async (...ops: Json[]) => {
      const res = await patchUser(u.id, ...ops);
      expect(res.statusCode, res.body).toBe(200);
      return res.json()[PORTCULLIS] as Json | undefined;
    };
    // Entra ID: capitalised op, the attribute's full URN path.
    expect(await patch({ op: 'Replace', path: `${PORTCULLIS}:startDate`, value: '2026-12-10' })).toEqual({
      startDate: '2026-12-10',
    });
    expect(
      await patch({ op: 'Add', path: `${PORTCULLIS}:startDate`, value: '2026-12-11T00:00:00Z' }),
    ).toEqual({
      startDate: '2026-12-11',
    });
    // Okta: no path, the value object keyed by the schema URN.
    expect(await patch({ op: 'replace', value: { [PORTCULLIS]: { startDate: '2026-12-12' } } })).toEqual({
      startDate: '2026-12-12',
    });
    // Entra ID, path-less: keys that are full attribute URNs.
    expect(await patch({ op: 'replace', value: { [`${PORTCULLIS}:startDate`]: '2026-12-13' } })).toEqual({
      startDate: '2026-12-13',
    });
    // Without the URN (clients drop it), as for the enterprise attributes.
    expect(await patch({ op: 'replace', path: 'startDate', value: '2026-12-14' })).toEqual({
      startDate: '2026-12-14',
    });
    expect(await patch({ op: 'remove', path: `${PORTCULLIS}:startDate` })).toBeUndefined();
    expect((await getUser(u.id))[ENTERPRISE]).toEqual({ department: 'Sales' });
  });

  it('a PATCH with one bad date changes nothing, not even the operations before it', async () => {
    const u = await create({ title: 'Before', [PORTCULLIS]: { startDate: '2026-12-08' } });
    const before = await getUser(u.id);
    for (const value of ['2026-12-32', 'tomorrow', 42, { startDate: '2026-12-09' }]) {
      const res = await patchUser(
        u.id,
        { op: 'replace', path: 'title', value: 'After' },
        { op: 'replace', path: `${PORTCULLIS}:startDate`, value },
      );
      expectScimError(res, 400, 'invalidValue');
    }
    const okta = await patchUser(u.id, {
      op: 'replace',
      value: { title: 'After', [PORTCULLIS]: { startDate: '2026-02-29' } },
    });
    expectScimError(okta, 400, 'invalidValue');
    const hireDate = await patchUser(u.id, { op: 'replace', path: `${PORTCULLIS}:hireDate`, value: 'x' });
    expectScimError(hireDate, 400, 'invalidPath');
    const after = await getUser(u.id);
    expect(after).toEqual(before);
    expect(after.meta.version).toBe(before.meta.version);
  });

  it('filters and sorts by it, as a date; a value that is no date is invalidFilter', async () => {
    const a = await create({ externalId: 'f-a', [PORTCULLIS]: { startDate: '2030-03-01' } });
    const b = await create({ externalId: 'f-b', [PORTCULLIS]: { startDate: '2030-03-15' } });
    await create({ externalId: 'f-c' });
    const ids = async (text: string, extra = '') =>
      ((await scim('GET', `/Users${filter(text, extra)}`)).json().Resources as Json[]).map((r) => r.id);
    expect(await ids(`externalId sw "f-" and ${PORTCULLIS}:startDate pr`)).toHaveLength(2);
    expect(await ids(`${PORTCULLIS}:startDate eq "2030-03-01"`)).toEqual([a.id]);
    expect(await ids(`startDate gt "2030-03-01"`)).toEqual([b.id]);
    expect(await ids(`startDate ge "2030-03-01" and startDate le "2030-03-15"`)).toHaveLength(2);
    expect(
      await ids(
        `externalId sw "f-" and startDate pr`,
        `&sortBy=${encodeURIComponent('startDate')}&sortOrder=descending`,
      ),
    ).toEqual([b.id, a.id]);
    for (const text of ['startDate gt "March"', 'startDate eq "2030-02-30"', 'startDate co "2030"']) {
      expectScimError(await scim('GET', `/Users${filter(text)}`), 400, 'invalidFilter');
    }
  });

  it('a joiner with a start date ahead: the deadline counts from it; a PATCHed date moves the deadline and the pass', async () => {
    rt.clock.set(t0);
    const boss = await create({ emails: [{ value: 'sd-boss@example.org' }] });
    const start = Date.UTC(2026, 11, 8);
    const u = await create({
      emails: [{ value: 'sd-joiner@example.org' }],
      [ENTERPRISE]: { manager: { value: boss.id } },
      [PORTCULLIS]: { startDate: '2026-12-08' },
    });
    const req = await openRequirement(u.id);
    expect(req).toMatchObject({ countsFrom: iso(start), deadline: iso(start + 14 * DAY) });
    expect(await passJobRunAt(rt, req.id)).toBe(start - 2 * DAY);

    // A bad date moves nothing.
    const badDate = await patchUser(u.id, {
      op: 'replace',
      path: `${PORTCULLIS}:startDate`,
      value: '2026-12-40',
    });
    expectScimError(badDate, 400, 'invalidValue');
    expect((await openRequirement(u.id)).deadline).toBe(iso(start + 14 * DAY));

    const later = Date.UTC(2027, 0, 11);
    const res = await patchUser(u.id, {
      op: 'Replace',
      path: `${PORTCULLIS}:startDate`,
      value: '2027-01-11',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(await openRequirement(u.id)).toMatchObject({
      id: req.id,
      countsFrom: iso(later),
      deadline: iso(later + 14 * DAY),
    });
    expect(await passJobRunAt(rt, req.id)).toBe(later - 2 * DAY);
    const actions = (await rt.services.audit.forSubject(u.id)).map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'scim.user_patched',
        'lifecycle.requirement_rescheduled',
        'lifecycle.start_pass_rescheduled',
      ]),
    );

    // PUT without the extension clears the date before day one: the grace period starts now.
    rt.clock.set(t0 + DAY);
    const put = await scim('PUT', `/Users/${u.id}`, {
      userName: u.userName,
      emails: [{ value: 'sd-joiner@example.org' }],
      [ENTERPRISE]: { manager: { value: boss.id } },
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(await openRequirement(u.id)).toMatchObject({
      countsFrom: iso(t0 + DAY),
      deadline: iso(t0 + 15 * DAY),
    });
    expect(await passJobRunAt(rt, req.id)).toBe(t0 + DAY);
  });
});
