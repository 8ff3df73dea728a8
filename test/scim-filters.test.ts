import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';
import { ENTERPRISE, expectScimError, filter, type Json, patchOp, scimClient } from './support/scim.js';

/**
 * Filters, sorting and paging against the real databases: every operator, logic and value
 * paths, case rules, and injection attempts that must never widen a result.
 */
describe.each(DIALECTS)('SCIM filters on %s', (dialect) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let scim: ReturnType<typeof scimClient>;
  const ids: Record<string, string> = {};
  const groups: Record<string, string> = {};
  let bobCreated = '';

  const people: Array<[string, Json]> = [
    [
      'alice',
      {
        userName: 'Alice',
        displayName: 'Alice Liddell',
        title: 'Engineer',
        externalId: 'X-1',
        name: { familyName: 'Liddell' },
        emails: [{ value: 'alice@wonder.land', type: 'work' }],
        [ENTERPRISE]: { department: 'Eng', employeeNumber: '100' },
      },
    ],
    [
      'bob',
      {
        userName: 'bob',
        title: 'Manager',
        name: { familyName: 'Builder' },
        emails: [{ value: 'bob@example.com', type: 'work' }],
        [ENTERPRISE]: { department: 'Sales', employeeNumber: '200' },
      },
    ],
    [
      'carol',
      { userName: 'Carol.Jones', name: { familyName: 'jones' }, [ENTERPRISE]: { department: 'Eng' } },
    ],
    [
      'dave',
      {
        userName: 'dave_o',
        displayName: "O'Brien",
        title: 'engineer',
        name: { familyName: 'Obrien' },
        emails: [{ value: 'dave@WONDER.land', type: 'work' }],
        [ENTERPRISE]: { employeeNumber: '300' },
      },
    ],
    ['eve', { userName: 'eve%', displayName: '_x_', emails: [{ value: 'eve@x.org', type: 'work' }] }],
  ];

  /** The seeded names a filter finds, sorted (order is checked separately). */
  const find = async (text: string, resource = 'Users') => {
    const res = await scim('GET', `/${resource}${filter(text)}`);
    expect(res.statusCode, `${text}: ${res.body}`).toBe(200);
    const body = res.json();
    expect(body.totalResults).toBe(body.Resources.length);
    const names = resource === 'Users' ? ids : groups;
    return body.Resources.map((r: Json) => Object.keys(names).find((k) => names[k] === r.id)).sort();
  };

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
    app = await rt.app();
    scim = scimClient(app, await rt.token('scim'));
    for (const [key, body] of people) {
      rt.clock.advance(60_000);
      const res = await scim('POST', '/Users', body);
      expect(res.statusCode, res.body).toBe(201);
      ids[key] = res.json().id;
      if (key === 'bob') bobCreated = res.json().meta.created;
    }
    await scim(
      'PATCH',
      `/Users/${ids.carol}`,
      patchOp(
        { op: 'add', path: `${ENTERPRISE}:manager`, value: ids.alice },
        { op: 'replace', path: 'active', value: false },
      ),
    );
    for (const [name, members, externalId] of [
      ['Admins', ['alice', 'bob']],
      ['Sales', ['bob']],
      ['Empty', [], 'G-1'],
    ] as const) {
      const res = await scim('POST', '/Groups', {
        displayName: name,
        externalId,
        members: members.map((m) => ({ value: ids[m] })),
      });
      expect(res.statusCode, res.body).toBe(201);
      groups[name] = res.json().id;
    }
  });
  afterAll(() => rt?.dispose());

  it.each([
    ['userName eq "ALICE"', ['alice']],
    ['USERNAME Eq "alice"', ['alice']],
    ['userName ne "alice"', ['bob', 'carol', 'dave', 'eve']],
    ['userName co "O"', ['bob', 'carol', 'dave']],
    ['userName sw "c"', ['carol']],
    ['userName ew "_O"', ['dave']],
    ['userName gt "c"', ['carol', 'dave', 'eve']],
    ['userName le "bob"', ['alice', 'bob']],
    ['userName ge "dave_o"', ['dave', 'eve']],
    ['userName lt "b"', ['alice']],
    ['title pr', ['alice', 'bob', 'dave']],
    ['not (title pr)', ['carol', 'eve']],
    ['title eq "ENGINEER"', ['alice', 'dave']],
    ['title ne "engineer"', ['bob', 'carol', 'eve']],
    ['title eq null', ['carol', 'eve']],
    ['displayName co "\'"', ['dave']],
    ['active eq false', ['carol']],
    ['active eq "False" or active ne true', ['carol']],
    ['active eq true and userName sw "a"', ['alice']],
    ['externalId eq "X-1"', ['alice']],
    ['externalId eq "x-1"', []],
    ['emails[type eq "work" and value co "@wonder"]', ['alice', 'dave']],
    ['emails.value ew ".LAND"', ['alice', 'dave']],
    ['emails co "example"', ['bob']],
    ['emails pr', ['alice', 'bob', 'dave', 'eve']],
    ['emails[type eq "home"]', []],
    ['emails[primary eq true]', ['alice', 'bob', 'dave', 'eve']],
    ['name.familyName eq "JONES"', ['carol']],
    [`${ENTERPRISE}:department eq "eng"`, ['alice', 'carol']],
    ['department eq "Eng" and not (employeeNumber pr)', ['carol']],
    ['employeeNumber gt "150"', ['bob', 'dave']],
    ['(title eq "engineer" or department eq "sales") and not (userName eq "dave_o")', ['alice', 'bob']],
    ['title eq "engineer" or (department eq "sales" and userName sw "b")', ['alice', 'bob', 'dave']],
  ])('%s', async (text, expected) => {
    expect(await find(text)).toEqual(expected);
  });

  it('filters by manager, group membership, id and creation time', async () => {
    expect(await find(`${ENTERPRISE}:manager.value eq "${ids.alice}"`)).toEqual(['carol']);
    expect(await find(`manager eq "${ids.alice}"`)).toEqual(['carol']);
    expect(await find(`groups[display eq "sales"]`)).toEqual(['bob']);
    expect(await find(`groups.value eq "${groups.Admins}"`)).toEqual(['alice', 'bob']);
    expect(await find(`id eq "${ids.eve}"`)).toEqual(['eve']);
    expect(await find(`meta.created gt "${bobCreated}"`)).toEqual(['carol', 'dave', 'eve']);
    expect(await find(`meta.created le "${bobCreated}"`)).toEqual(['alice', 'bob']);
    expect(await find(`meta.lastModified ge "2000-01-01T00:00:00Z"`)).toEqual([
      'alice',
      'bob',
      'carol',
      'dave',
      'eve',
    ]);
  });

  it('treats LIKE wildcards and quotes in values as plain characters', async () => {
    expect(await find('userName co "%"')).toEqual(['eve']);
    expect(await find('displayName sw "_"')).toEqual(['eve']);
    expect(await find('displayName co "_"')).toEqual(['eve']);
    expect(await find('userName co "\\\\"')).toEqual([]);
  });

  it.each([
    'userName eq "x\\" or \\"1\\"=\\"1"',
    "userName eq \"alice' OR '1'='1\"",
    'userName eq "alice\\") or (1=1 --"',
    'userName eq "alice\\"; DROP TABLE users; --"',
    'userName co "\') or 1=1 or (\'"',
    'emails[value co "x\\"] or userName pr or [\\""]',
  ])('an injection attempt finds nothing and changes nothing: %s', async (text) => {
    expect(await find(text)).toEqual([]);
    expect((await scim('GET', '/Users?count=0')).json().totalResults).toBe(5);
  });

  it.each([
    ['userName eq 1', 'a number for a string'],
    ['active gt true', 'ordering a boolean'],
    ['active eq "yes"', 'a string for a boolean'],
    ['shoeSize eq "9"', 'an unknown attribute'],
    ['password eq "secret"', 'a write-only attribute'],
    ['name.formatted eq "x"', 'an attribute that is not filterable'],
    ['meta.created gt "yesterday"', 'a date that is no date'],
    ['userName gt null', 'ordering against null'],
    ['emails[shoe eq "x"]', 'an unknown sub-attribute'],
    ['userName eq "a" and', 'a dangling and'],
    ['displayName eq "\\u0000 or 1=1"', 'a NUL character, which no stored value holds'],
    [`userName eq "${'a'.repeat(2100)}"`, 'an oversize filter'],
  ])('%s is 400 invalidFilter (%s)', async (text) => {
    expectScimError(await scim('GET', `/Users${filter(text)}`), 400, 'invalidFilter');
  });

  it('sorts ascending and descending, case-insensitively, with missing values last then first', async () => {
    const order = async (q: string) =>
      (await scim('GET', `/Users?sortBy=${q}`))
        .json()
        .Resources.map((r: Json) => Object.keys(ids).find((k) => ids[k] === r.id));
    expect(await order('name.familyName')).toEqual(['bob', 'carol', 'alice', 'dave', 'eve']);
    expect(await order('NAME.FAMILYNAME&sortOrder=descending')).toEqual([
      'eve',
      'dave',
      'alice',
      'carol',
      'bob',
    ]);
    expect(await order('userName&sortOrder=ascending')).toEqual(['alice', 'bob', 'carol', 'dave', 'eve']);
    expect(await order('meta.created&sortOrder=descending')).toEqual([
      'eve',
      'dave',
      'carol',
      'bob',
      'alice',
    ]);
    expect(await order('emails')).toEqual(['alice', 'bob', 'dave', 'eve', 'carol']);
    expectScimError(await scim('GET', '/Users?sortBy=shoeSize'), 400, 'invalidValue');
    expectScimError(await scim('GET', '/Users?sortBy=groups'), 400, 'invalidValue');
    expectScimError(await scim('GET', '/Users?sortBy=userName&sortOrder=sideways'), 400, 'invalidValue');
  });

  it('pages a sorted, filtered result without overlap or gaps', async () => {
    const seen: string[] = [];
    for (let start = 1; start <= 5; start += 2) {
      const page = (
        await scim('GET', `/Users${filter('userName pr', `&sortBy=userName&startIndex=${start}&count=2`)}`)
      ).json();
      expect(page).toMatchObject({ totalResults: 5, startIndex: start });
      seen.push(...page.Resources.map((r: Json) => r.userName));
    }
    expect(seen).toEqual(['Alice', 'bob', 'Carol.Jones', 'dave_o', 'eve%']);
    const beyond = (await scim('GET', '/Users?startIndex=99')).json();
    expect(beyond).toMatchObject({ totalResults: 5, startIndex: 99, itemsPerPage: 0, Resources: [] });
  });

  it('filters Groups by name, externalId and members, and leaves members out when asked', async () => {
    expect(await find('displayName eq "admins"', 'Groups')).toEqual(['Admins']);
    expect(await find(`members[value eq "${ids.bob}"]`, 'Groups')).toEqual(['Admins', 'Sales']);
    expect(await find(`members.value eq "${ids.alice}" and members.value eq "${ids.bob}"`, 'Groups')).toEqual(
      ['Admins'],
    );
    expect(await find('members[display co "liddell"]', 'Groups')).toEqual(['Admins']);
    expect(await find('members[type eq "User" and value eq "nobody"]', 'Groups')).toEqual([]);
    expect(await find('members pr', 'Groups')).toEqual(['Admins', 'Sales']);
    expect(await find('not (members pr)', 'Groups')).toEqual(['Empty']);
    expect(await find('externalId eq "G-1"', 'Groups')).toEqual(['Empty']);
    const listed = (
      await scim('GET', `/Groups${filter('displayName eq "Admins"', '&excludedAttributes=members')}`)
    ).json();
    expect(listed.Resources[0].members).toBeUndefined();
    const sorted = (await scim('GET', '/Groups?sortBy=displayName&sortOrder=descending')).json();
    expect(sorted.Resources.map((g: Json) => g.displayName)).toEqual(['Sales', 'Empty', 'Admins']);
    expectScimError(await scim('GET', `/Groups${filter('userName eq "x"')}`), 400, 'invalidFilter');
  });
});
