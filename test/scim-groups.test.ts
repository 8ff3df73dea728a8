import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';
import { expectScimError, type Json, patchOp, scimClient } from './support/scim.js';

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

/** Groups with members, and Bulk (RFC 7644 §3.7) with bulkId references and its limits. */
describe.each(DIALECTS)('SCIM Groups and Bulk on %s', (dialect) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let scim: ReturnType<typeof scimClient>;
  let n = 0;

  const user = async () => (await scim('POST', '/Users', { userName: `member${++n}` })).json() as Json;
  const memberIds = (g: Json) => ((g.members ?? []) as Json[]).map((m) => m.value).sort();

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
    app = await rt.app();
    scim = scimClient(app, await rt.token('scim'));
  });
  afterAll(() => rt?.dispose());

  it('creates a Group with members, shows them with display and $ref, and the members see the group', async () => {
    const [a, b] = [await user(), await user()];
    const res = await scim('POST', '/Groups', {
      schemas: [GROUP_SCHEMA],
      displayName: 'Engineering',
      externalId: 'grp-1',
      members: [{ value: a.id }, { value: b.id, type: 'User' }],
    });
    expect(res.statusCode, res.body).toBe(201);
    const g = res.json();
    expect(res.headers.location).toBe(g.meta.location);
    expect(g).toMatchObject({
      schemas: [GROUP_SCHEMA],
      displayName: 'Engineering',
      externalId: 'grp-1',
      meta: { resourceType: 'Group', version: 'W/"1"' },
    });
    expect(g.members).toContainEqual({
      value: a.id,
      display: a.userName,
      type: 'User',
      $ref: `http://localhost:8080/scim/v2/Users/${a.id}`,
    });
    expect((await scim('GET', `/Users/${a.id}`)).json().groups).toEqual([
      {
        value: g.id,
        display: 'Engineering',
        type: 'direct',
        $ref: `http://localhost:8080/scim/v2/Groups/${g.id}`,
      },
    ]);
    expectScimError(await scim('POST', '/Groups', { displayName: 'ENGINEERING' }), 409, 'uniqueness');
    expectScimError(
      await scim('POST', '/Groups', { displayName: 'Other', externalId: 'grp-1' }),
      409,
      'uniqueness',
    );
    expectScimError(
      await scim('POST', '/Groups', { displayName: 'Ghosts', members: [{ value: 'nobody' }] }),
      400,
      'invalidValue',
    );
    expectScimError(
      await scim('POST', '/Groups', { displayName: 'Nested', members: [{ value: g.id, type: 'Group' }] }),
      400,
      'invalidValue',
    );
    expectScimError(await scim('POST', '/Groups', { members: [] }), 400, 'invalidValue');
  });

  it('adds and removes members with PATCH (value filter, Entra value list), bumping the version each time', async () => {
    const [a, b, c] = [await user(), await user(), await user()];
    const g = (await scim('POST', '/Groups', { displayName: 'Patched' })).json();
    const patch = (...ops: Json[]) => scim('PATCH', `/Groups/${g.id}`, patchOp(...ops));
    let res = await patch({
      op: 'Add',
      path: 'members',
      value: [{ value: a.id }, { value: b.id }, { value: c.id }],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(memberIds(res.json())).toEqual([a.id, b.id, c.id].sort());
    expect(res.json().meta.version).toBe('W/"2"');
    res = await patch({ op: 'remove', path: `members[value eq "${a.id}"]` });
    expect(memberIds(res.json())).toEqual([b.id, c.id].sort());
    res = await patch({ op: 'Remove', path: 'members', value: [{ $ref: null, value: b.id }] });
    expect(memberIds(res.json())).toEqual([c.id]);
    // Removing someone who is not a member changes nothing (and moves no version).
    res = await patch({ op: 'remove', path: `members[value eq "${a.id}"]` });
    expect(res.json().meta.version).toBe('W/"4"');
    res = await patch({ op: 'replace', path: 'members', value: [{ value: a.id }] });
    expect(memberIds(res.json())).toEqual([a.id]);
    expectScimError(
      await patch({ op: 'add', path: 'members', value: [{ value: 'nobody' }] }),
      400,
      'invalidValue',
    );
    expectScimError(
      await patch({ op: 'add', path: 'members[value eq "x"].display', value: 'x' }),
      400,
      'mutability',
    );
    expect(memberIds((await scim('GET', `/Groups/${g.id}`)).json())).toEqual([a.id]);
  });

  it('renames with a path-less replace that carries the id (Okta), and PUT replaces the member list', async () => {
    const [a, b] = [await user(), await user()];
    const g = (await scim('POST', '/Groups', { displayName: 'Before', members: [{ value: a.id }] })).json();
    const renamed = await scim(
      'PATCH',
      `/Groups/${g.id}`,
      patchOp({ op: 'replace', value: { id: g.id, displayName: 'After' } }),
    );
    expect(renamed.json()).toMatchObject({ displayName: 'After' });
    expect(memberIds(renamed.json())).toEqual([a.id]);
    const put = await scim('PUT', `/Groups/${g.id}`, { displayName: 'After', members: [{ value: b.id }] });
    expect(memberIds(put.json())).toEqual([b.id]);
    const emptied = await scim('PUT', `/Groups/${g.id}`, { displayName: 'After' });
    expect(emptied.json().members).toBeUndefined();
    expectScimError(await scim('PUT', `/Groups/${g.id}`, { displayName: 'x' }, { 'if-match': 'W/"1"' }), 412);
    const only = (await scim('GET', `/Groups/${g.id}?excludedAttributes=members`)).json();
    expect(Object.keys(only).sort()).toEqual(['displayName', 'id', 'meta', 'schemas']);
  });

  it('deletes a Group: 204, then 404; its members stay', async () => {
    const a = await user();
    const g = (await scim('POST', '/Groups', { displayName: 'Doomed', members: [{ value: a.id }] })).json();
    expect((await scim('DELETE', `/Groups/${g.id}`)).statusCode).toBe(204);
    expectScimError(await scim('GET', `/Groups/${g.id}`), 404);
    expect((await scim('GET', `/Users/${a.id}`)).json().groups).toBeUndefined();
  });

  it('runs a Bulk request with bulkId references, in dependency order', async () => {
    const res = await scim('POST', '/Bulk', {
      schemas: [BULK],
      Operations: [
        {
          method: 'POST',
          path: '/Groups',
          bulkId: 'team',
          data: { displayName: 'Bulk team', members: [{ value: 'bulkId:lead' }, { value: 'bulkId:dev' }] },
        },
        { method: 'POST', path: '/Users', bulkId: 'lead', data: { userName: 'bulk-lead' } },
        {
          method: 'POST',
          path: '/Users',
          bulkId: 'dev',
          data: {
            userName: 'bulk-dev',
            'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': {
              manager: { value: 'bulkId:lead' },
            },
          },
        },
        {
          method: 'PATCH',
          path: '/Users/bulkId:dev',
          data: patchOp({ op: 'replace', path: 'title', value: 'Developer' }),
        },
        { method: 'POST', path: '/Users', bulkId: 'dup', data: { userName: 'bulk-lead' } },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    const ops = res.json().Operations as Json[];
    expect(ops.map((o) => [o.bulkId ?? o.method, o.status])).toEqual([
      ['lead', '201'],
      ['dev', '201'],
      ['team', '201'],
      ['PATCH', '200'],
      ['dup', '409'],
    ]);
    expect(ops[4]!.response).toMatchObject({ status: '409', scimType: 'uniqueness' });
    const team = (await scim('GET', ops[2]!.location.replace('http://localhost:8080/scim/v2', ''))).json();
    const lead = ops[0]!.location.split('/').pop();
    const dev = ops[1]!.location.split('/').pop();
    expect(memberIds(team)).toEqual([lead, dev].sort());
    const devUser = (await scim('GET', `/Users/${dev}`)).json();
    expect(devUser).toMatchObject({
      title: 'Developer',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { manager: { value: lead } },
    });
  });

  it('stops after failOnErrors, refuses more than maxOperations (413) and bodies over 1 MiB (413)', async () => {
    const res = await scim('POST', '/Bulk', {
      schemas: [BULK],
      failOnErrors: 1,
      Operations: [
        { method: 'DELETE', path: '/Users/nobody' },
        { method: 'POST', path: '/Users', bulkId: 'never', data: { userName: 'never-created' } },
      ],
    });
    expect(res.json().Operations).toEqual([
      { method: 'DELETE', status: '404', response: expect.objectContaining({ status: '404' }) },
    ]);
    expect(
      (await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "never-created"')}`)).json()
        .totalResults,
    ).toBe(0);
    const many = Array.from({ length: 1001 }, () => ({ method: 'DELETE', path: '/Users/x' }));
    expectScimError(await scim('POST', '/Bulk', { schemas: [BULK], Operations: many }), 413, 'tooMany');
    const big = {
      schemas: [BULK],
      Operations: [
        {
          method: 'POST',
          path: '/Users',
          bulkId: 'b',
          data: { userName: 'big', displayName: 'x'.repeat(1_100_000) },
        },
      ],
    };
    expectScimError(await scim('POST', '/Bulk', big), 413);
    // Between the usual 64 KiB and 1 MiB: Bulk takes it (the value is refused per operation), /Users does not.
    const mid = { userName: 'mid', displayName: 'x'.repeat(100_000) };
    expectScimError(await scim('POST', '/Users', mid), 413);
    const midBulk = await scim('POST', '/Bulk', {
      schemas: [BULK],
      Operations: [{ method: 'POST', path: '/Users', bulkId: 'm', data: mid }],
    });
    expect(midBulk.json().Operations[0]).toMatchObject({
      status: '400',
      response: { scimType: 'invalidValue' },
    });
    expectScimError(
      await scim('POST', '/Bulk', { Operations: [{ method: 'GET', path: '/Users' }] }),
      400,
      'invalidSyntax',
    );
  });
});
