import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../src/crypto/passwords.js';
import { DIALECTS } from './support/databases.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';
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

/** RFC 7644 conformance for /Users: create, read, list, replace, patch, delete, ETags, errors. */
describe.each(DIALECTS)('SCIM Users on %s', (dialect) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let scim: ReturnType<typeof scimClient>;
  let admin: string;
  let scimToken: string;
  let n = 0;

  const newUser = (extra: Json = {}) => ({
    schemas: [USER_SCHEMA, ENTERPRISE],
    userName: `user${++n}@example.org`,
    name: { givenName: 'Given', familyName: `Family${n}` },
    emails: [{ value: `user${n}@example.org`, type: 'work', primary: true }],
    [ENTERPRISE]: { employeeNumber: `E${n}`, department: 'Sales' },
    ...extra,
  });
  const create = async (extra: Json = {}) => {
    const res = await scim('POST', '/Users', newUser(extra));
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as Json;
  };

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
    app = await rt.app();
    scimToken = await rt.token('scim');
    scim = scimClient(app, scimToken);
    admin = await rt.token('admin');
  });
  afterAll(() => rt?.dispose());

  it('lets only a scim token in: 401 without one (with WWW-Authenticate), 403 for other roles', async () => {
    const none = await app.inject({ url: '/scim/v2/Users' });
    expectScimError(none, 401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expectScimError(await scimClient(app, admin)('GET', '/Users'), 403);
    expectScimError(await scimClient(app, 'pcs_forged')('GET', '/ServiceProviderConfig'), 401);
    expectScimError(await app.inject({ url: '/scim/v2/Nowhere' }), 401);
    expectScimError(await scim('GET', '/Nowhere'), 404);
  });

  it('creates a User: 201, Location, ETag, scim+json, and the same id /api/v1 uses', async () => {
    const res = await scim(
      'POST',
      '/Users',
      newUser({ externalId: 'ext-create', displayName: 'Babs', title: 'Tour Guide' }),
    );
    expect(res.statusCode).toBe(201);
    expect(res.headers['content-type']).toBe('application/scim+json; charset=utf-8');
    const body = res.json() as Json;
    expect(res.headers.location).toBe(`http://localhost:8080/scim/v2/Users/${body.id}`);
    expect(res.headers.etag).toBe('W/"1"');
    expect(body).toMatchObject({
      schemas: [USER_SCHEMA, ENTERPRISE],
      externalId: 'ext-create',
      active: true,
      displayName: 'Babs',
      title: 'Tour Guide',
      name: { givenName: 'Given', formatted: expect.stringMatching(/^Given Family/) },
      emails: [{ type: 'work', primary: true }],
      [ENTERPRISE]: { department: 'Sales' },
      meta: { resourceType: 'User', version: 'W/"1"', location: res.headers.location },
    });
    const viaApi = await app.inject({
      url: `/api/v1/users/${body.id}`,
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(viaApi.json()).toMatchObject({
      id: body.id,
      username: body.userName,
      externalId: 'ext-create',
      status: 'active',
    });
  });

  it('accepts application/json bodies too, and case-insensitive attribute names', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/scim/v2/Users',
      headers: { authorization: `Bearer ${scimToken}` },
      payload: { USERNAME: 'json-client', DisplayName: 'J', NAME: { GIVENNAME: 'Jay' } },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({
      userName: 'json-client',
      displayName: 'J',
      name: { givenName: 'Jay' },
    });
  });

  it('refuses a duplicate userName (any case) or externalId with 409 uniqueness', async () => {
    const u = await create({ externalId: 'ext-dup' });
    expectScimError(
      await scim('POST', '/Users', newUser({ userName: u.userName.toUpperCase() })),
      409,
      'uniqueness',
    );
    expectScimError(await scim('POST', '/Users', newUser({ externalId: 'ext-dup' })), 409, 'uniqueness');
    const other = await create();
    expectScimError(
      await scim(
        'PATCH',
        `/Users/${other.id}`,
        patchOp({ op: 'replace', path: 'userName', value: u.userName }),
      ),
      409,
      'uniqueness',
    );
  });

  it.each([
    ['malformed JSON', 'invalidSyntax', '{"userName":'],
    ['a JSON array', 'invalidSyntax', '[1]'],
    ['no userName', 'invalidValue', { name: { givenName: 'x' } }],
    ['a userName with spaces', 'invalidValue', { userName: 'a b' }],
    ['an unknown attribute', 'invalidValue', { userName: 'x1', favouriteColour: 'red' }],
    ['an unknown extension attribute', 'invalidValue', { userName: 'x2', [ENTERPRISE]: { shoeSize: 9 } }],
    ['a bad email', 'invalidValue', { userName: 'x3', emails: [{ value: 'not-an-email' }] }],
    [
      'two primary emails',
      'invalidValue',
      {
        userName: 'x4',
        emails: [
          { value: 'a@x.org', primary: true },
          { value: 'b@x.org', primary: true },
        ],
      },
    ],
    ['active that is no boolean', 'invalidValue', { userName: 'x5', active: 'perhaps' }],
    ['a short password', 'invalidValue', { userName: 'x6', password: 'short' }],
    [
      'an unknown manager',
      'invalidValue',
      { userName: 'x7', [ENTERPRISE]: { manager: { value: 'nobody' } } },
    ],
    ['a prototype-polluting key', 'invalidSyntax', '{"userName":"x8","__proto__":{"admin":true}}'],
  ])('refuses %s with 400 %s, writing nothing', async (_label, scimType, body) => {
    const before = (await scim('GET', '/Users?count=0')).json().totalResults;
    expectScimError(await scim('POST', '/Users', body), 400, scimType);
    expect((await scim('GET', '/Users?count=0')).json().totalResults).toBe(before);
  });

  it('ignores read-only attributes and known attributes it does not keep (id, meta, groups, phoneNumbers)', async () => {
    const u = await create({
      id: 'chosen-by-client',
      meta: { version: 'W/"99"' },
      groups: [{ value: 'g' }],
      phoneNumbers: [{ value: '+1' }],
      roles: [],
    });
    expect(u.id).not.toBe('chosen-by-client');
    expect(u.meta.version).toBe('W/"1"');
    expect(u.groups).toBeUndefined();
    expect(u.phoneNumbers).toBeUndefined();
  });

  it('reads one User with its ETag, answers 304 for a matching If-None-Match and 404 for an unknown id', async () => {
    const u = await create();
    const res = await scim('GET', `/Users/${u.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.json()).toEqual(u);
    expect((await scim('GET', `/Users/${u.id}`, undefined, { 'if-none-match': 'W/"1"' })).statusCode).toBe(
      304,
    );
    expectScimError(await scim('GET', '/Users/no-such-id'), 404);
  });

  it('shapes answers with attributes and excludedAttributes (id and schemas always stay)', async () => {
    const u = await create({ displayName: 'Shown' });
    const only = (
      await scim('GET', `/Users/${u.id}?attributes=userName,name.givenName,${ENTERPRISE}:department`)
    ).json();
    expect(only).toEqual({
      schemas: [USER_SCHEMA, ENTERPRISE],
      id: u.id,
      userName: u.userName,
      name: { givenName: 'Given' },
      [ENTERPRISE]: { department: 'Sales' },
    });
    const emails = (await scim('GET', `/Users/${u.id}?attributes=emails.value`)).json();
    expect(emails).toEqual({ schemas: [USER_SCHEMA], id: u.id, emails: [{ value: u.emails[0].value }] });
    const without = (
      await scim('GET', `/Users/${u.id}?excludedAttributes=name,emails,${ENTERPRISE},id`)
    ).json();
    expect(without.name).toBeUndefined();
    expect(without.emails).toBeUndefined();
    expect(without[ENTERPRISE]).toBeUndefined();
    expect(without.schemas).toEqual([USER_SCHEMA]);
    expect(without).toMatchObject({ id: u.id, displayName: 'Shown' });
    const created = await scim('POST', '/Users?attributes=userName', newUser());
    expect(Object.keys(created.json()).sort()).toEqual(['id', 'schemas', 'userName']);
  });

  it('replaces a User with PUT: omitted attributes are cleared, the version moves on', async () => {
    const u = await create({ title: 'Old title', displayName: 'Old' });
    const res = await scim('PUT', `/Users/${u.id}`, {
      schemas: [USER_SCHEMA],
      id: u.id,
      userName: u.userName,
      displayName: 'New',
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ id: u.id, displayName: 'New', active: true, meta: { version: 'W/"2"' } });
    expect(body.title).toBeUndefined();
    expect(body.name).toBeUndefined();
    expect(body[ENTERPRISE]).toBeUndefined();
    expect(res.headers.etag).toBe('W/"2"');
    // The same PUT again changes nothing, so the version stays.
    const again = await scim('PUT', `/Users/${u.id}`, { userName: u.userName, displayName: 'New' });
    expect(again.json().meta.version).toBe('W/"2"');
    expectScimError(await scim('PUT', `/Users/${u.id}`, { displayName: 'no userName' }), 400, 'invalidValue');
    expectScimError(await scim('PUT', '/Users/no-such-id', { userName: 'ghost' }), 404);
  });

  it('checks If-Match on PUT, PATCH and DELETE: 412 and nothing written when stale', async () => {
    const u = await create();
    const stale = { 'if-match': 'W/"0"' };
    expectScimError(await scim('PUT', `/Users/${u.id}`, { userName: u.userName, title: 'x' }, stale), 412);
    expectScimError(
      await scim('PATCH', `/Users/${u.id}`, patchOp({ op: 'replace', path: 'title', value: 'x' }), stale),
      412,
    );
    expectScimError(await scim('DELETE', `/Users/${u.id}`, undefined, stale), 412);
    const now = await scim('GET', `/Users/${u.id}`);
    expect(now.json().title).toBeUndefined();
    expect(now.json().meta.version).toBe('W/"1"');
    const ok = await scim('PATCH', `/Users/${u.id}`, patchOp({ op: 'replace', path: 'title', value: 'x' }), {
      'if-match': 'W/"1"',
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers.etag).toBe('W/"2"');
    expect(
      (
        await scim('PATCH', `/Users/${u.id}`, patchOp({ op: 'replace', path: 'title', value: 'y' }), {
          'if-match': '*',
        })
      ).statusCode,
    ).toBe(200);
  });

  it('PATCHes: add, replace and remove with paths, value filters and the enterprise extension', async () => {
    const manager = await create();
    const u = await create({ title: 'Clerk' });
    const res = await scim(
      'PATCH',
      `/Users/${u.id}`,
      patchOp(
        { op: 'replace', path: 'emails[type eq "work"].value', value: 'moved@example.org' },
        { op: 'add', path: `${ENTERPRISE}:manager`, value: { value: manager.id } },
        { op: 'replace', path: `${ENTERPRISE}:department`, value: 'Support' },
        { op: 'remove', path: 'title' },
        { op: 'add', path: 'name.givenName', value: 'Renamed' },
      ),
    );
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.emails).toEqual([{ value: 'moved@example.org', type: 'work', primary: true }]);
    expect(body[ENTERPRISE]).toMatchObject({
      department: 'Support',
      manager: {
        value: manager.id,
        $ref: `http://localhost:8080/scim/v2/Users/${manager.id}`,
        displayName: manager.userName,
      },
    });
    expect(body.title).toBeUndefined();
    expect(body.name.givenName).toBe('Renamed');
    expect(body.meta.version).toBe('W/"2"');
  });

  it.each([
    ['an unknown path', 'invalidPath', { op: 'replace', path: 'shoeSize', value: 9 }],
    ['a malformed path', 'invalidPath', { op: 'replace', path: 'emails[type eq', value: 'x' }],
    ['a read-only attribute', 'mutability', { op: 'replace', path: 'id', value: 'x' }],
    ['a remove without path', 'noTarget', { op: 'remove' }],
    ['a bad value', 'invalidValue', { op: 'replace', path: 'active', value: 'maybe' }],
    ['an unknown op', 'invalidSyntax', { op: 'copy', path: 'title', value: 'x' }],
    ['removing userName', 'invalidValue', { op: 'remove', path: 'userName' }],
    ['a self-managed user', 'invalidValue', { op: 'add', path: `${ENTERPRISE}:manager`, value: 'SELF' }],
  ])(
    'a PATCH with %s is 400 %s and changes nothing, even after good operations',
    async (_label, scimType, bad) => {
      const u = await create({ title: 'Before' });
      const op = JSON.parse(JSON.stringify(bad).replace('SELF', u.id));
      const res = await scim(
        'PATCH',
        `/Users/${u.id}`,
        patchOp({ op: 'replace', path: 'title', value: 'After' }, op),
      );
      expectScimError(res, 400, scimType);
      const now = (await scim('GET', `/Users/${u.id}`)).json();
      expect(now.title).toBe('Before');
      expect(now.meta.version).toBe('W/"1"');
    },
  );

  it('lists with paging and totals, and a count of 0 gives only the total', async () => {
    const prefix = `page${dialect}`;
    for (let i = 0; i < 5; i++) await create({ userName: `${prefix}-${i}` });
    const q = filter(`userName sw "${prefix}-"`, '&sortBy=userName&startIndex=2&count=2');
    const page = (await scim('GET', `/Users${q}`)).json();
    expect(page).toMatchObject({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 5,
      startIndex: 2,
      itemsPerPage: 2,
    });
    expect(page.Resources.map((r: Json) => r.userName)).toEqual([`${prefix}-1`, `${prefix}-2`]);
    const none = (await scim('GET', `/Users${filter(`userName sw "${prefix}-"`, '&count=0')}`)).json();
    expect(none).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
    const clamped = (
      await scim('GET', `/Users${filter(`userName sw "${prefix}-"`, '&startIndex=-4&count=-1')}`)
    ).json();
    expect(clamped).toMatchObject({ totalResults: 5, startIndex: 1, itemsPerPage: 0 });
    expectScimError(await scim('GET', '/Users?count=lots'), 400, 'invalidValue');
    const search = await scim('POST', '/Users/.search', {
      filter: `userName sw "${prefix}-"`,
      sortBy: 'userName',
      sortOrder: 'descending',
      count: 1,
      attributes: ['userName'],
    });
    expect(search.json().Resources).toEqual([
      { schemas: [USER_SCHEMA], id: expect.any(String), userName: `${prefix}-4` },
    ]);
  });

  it('sets the sign-in password from SCIM and never returns it anywhere', async () => {
    const secret = 'Correct-Horse-9';
    const res = await scim('POST', '/Users', newUser({ password: secret }));
    expect(res.statusCode).toBe(201);
    const id = res.json().id;
    const patched = await scim(
      'PATCH',
      `/Users/${id}`,
      patchOp({ op: 'replace', value: { password: `${secret}-2` } }),
    );
    const put = await scim('PUT', `/Users/${id}`, { userName: res.json().userName, password: `${secret}-3` });
    const answers = [
      res,
      patched,
      put,
      await scim('GET', `/Users/${id}`),
      await scim('GET', `/Users/${id}?attributes=password`),
      await scim('GET', `/Users${filter(`id eq "${id}"`)}`),
    ];
    for (const a of answers) {
      expect(a.statusCode, a.body).toBeLessThan(300);
      expect(a.body).not.toContain(secret);
      expect(a.body.toLowerCase()).not.toContain('password');
    }
    const row = await rt.ctx.store.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(await verifyPassword(row.password_hash!, `${secret}-3`)).toBe(true);
    const events = await rt.ctx.store.db
      .selectFrom('audit_events')
      .select(['action', 'details'])
      .where('subject', '=', id)
      .where('action', 'like', 'scim.%') // the joiner's lifecycle events are not SCIM's
      .execute();
    expect(events.map((e) => e.action)).toEqual([
      'scim.user_created',
      'scim.user_patched',
      'scim.user_replaced',
    ]);
    for (const e of events) expect(e.details).not.toContain(secret);
    expect(JSON.parse(events[1]!.details)).toEqual({ changed: ['password'] });
  });

  it('deletes: 204, then 404 everywhere in SCIM; the userName is free again; /api/v1 still knows the row', async () => {
    const u = await create({ externalId: 'ext-gone' });
    const del = await scim('DELETE', `/Users/${u.id}`);
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');
    expectScimError(await scim('GET', `/Users/${u.id}`), 404);
    expectScimError(
      await scim('PATCH', `/Users/${u.id}`, patchOp({ op: 'replace', path: 'title', value: 'x' })),
      404,
    );
    expectScimError(await scim('DELETE', `/Users/${u.id}`), 404);
    expect((await scim('GET', `/Users${filter(`id eq "${u.id}"`)}`)).json().totalResults).toBe(0);
    const rehire = await create({ userName: u.userName, externalId: 'ext-gone' });
    expect(rehire.id).not.toBe(u.id);
    const old = await app.inject({
      url: `/api/v1/users/${u.id}`,
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(old.json()).toMatchObject({ id: u.id, username: u.userName, status: 'deprovisioned' });
  });

  it('answers discovery: ServiceProviderConfig, ResourceTypes and Schemas', async () => {
    const spc = (await scim('GET', '/ServiceProviderConfig')).json();
    expect(spc).toMatchObject({
      patch: { supported: true },
      bulk: { supported: true, maxOperations: 1000, maxPayloadSize: 1_048_576 },
      filter: { supported: true, maxResults: 1000 },
      sort: { supported: true },
      etag: { supported: true },
      changePassword: { supported: true },
      authenticationSchemes: [{ type: 'oauthbearertoken' }],
    });
    const types = (await scim('GET', '/ResourceTypes')).json();
    expect(types.Resources.map((r: Json) => r.endpoint)).toEqual(['/Users', '/Groups']);
    expect((await scim('GET', '/ResourceTypes/User')).json().schemaExtensions).toEqual([
      { schema: ENTERPRISE, required: false },
      { schema: PORTCULLIS, required: false },
    ]);
    const schemas = (await scim('GET', '/Schemas')).json();
    expect(schemas.totalResults).toBe(4);
    const userSchema = (await scim('GET', `/Schemas/${USER_SCHEMA}`)).json();
    const userName = userSchema.attributes.find((a: Json) => a.name === 'userName');
    expect(userName).toMatchObject({ required: true, caseExact: false, uniqueness: 'server' });
    expect(userSchema.attributes.find((a: Json) => a.name === 'password')).toMatchObject({
      mutability: 'writeOnly',
      returned: 'never',
    });
    expect(JSON.stringify(userSchema)).not.toContain('ignoredSubs');
    expectScimError(await scim('GET', '/Schemas/urn:nope'), 404);
  });
});
