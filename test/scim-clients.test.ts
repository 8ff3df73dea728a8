import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../src/crypto/passwords.js';
import { DIALECTS } from './support/databases.js';
import { issueTotp } from './support/people.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';
import { ENTERPRISE, expectScimError, type Json, scimClient } from './support/scim.js';

interface Fixture {
  requests: Record<
    string,
    { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; path: string; body?: unknown }
  >;
}

const load = (name: string): Fixture =>
  JSON.parse(readFileSync(new URL(`./fixtures/scim/${name}`, import.meta.url), 'utf8')) as Fixture;

/**
 * Replays the request shapes Microsoft Entra ID and Okta document (test/fixtures/scim), in the
 * order their provisioning services send them, and checks what each leaves behind.
 */
describe.each(DIALECTS)('SCIM clients on %s', (dialect) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let scim: ReturnType<typeof scimClient>;
  let admin: string;

  /** Sends a fixture request with {{placeholders}} filled in. */
  const replay = (fixture: Fixture, name: string, vars: Record<string, string> = {}) => {
    const req = fixture.requests[name];
    if (!req) throw new Error(`no fixture request ${name}`);
    const fill = (text: string) =>
      text.replace(/\{\{(\w+)\}\}/g, (_, k: string) => vars[k] ?? `missing-${k}`);
    const body = req.body === undefined ? undefined : JSON.parse(fill(JSON.stringify(req.body)));
    return scim(req.method, fill(req.path), body);
  };
  const ok = async (p: ReturnType<typeof replay>, status = 200) => {
    const res = await p;
    expect(res.statusCode, res.body).toBe(status);
    return (status === 204 ? {} : res.json()) as Json;
  };

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
    app = await rt.app();
    scim = scimClient(app, await rt.token('scim'));
    admin = await rt.token('admin');
  });
  afterAll(() => rt?.dispose());

  it('Microsoft Entra ID: users, manager, disable with "False", groups and members', async () => {
    const f = load('entra-id.json');
    expect(await ok(replay(f, 'testConnection'))).toMatchObject({ totalResults: 0, Resources: [] });
    const manager = await ok(replay(f, 'createManager'), 201);
    const user = await ok(replay(f, 'createUser'), 201);
    const vars = { userId: user.id, managerId: manager.id };
    expect(user).toMatchObject({
      userName: 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1',
      active: true,
      title: 'Engineer',
      [ENTERPRISE]: { employeeNumber: '701984', department: 'Tour Operations' },
    });
    expect(user.phoneNumbers).toBeUndefined();
    expect((await ok(replay(f, 'getUserByUserName'))).Resources.map((r: Json) => r.id)).toEqual([user.id]);
    expect((await ok(replay(f, 'getUserByExternalId'))).Resources.map((r: Json) => r.id)).toEqual([user.id]);
    expect(await ok(replay(f, 'getUserByUserNameNoMatch'))).toMatchObject({ totalResults: 0 });

    let now = await ok(replay(f, 'updateUserMultiValued', vars));
    expect(now).toMatchObject({
      emails: [{ value: 'updatedEmail@microsoft.com', type: 'work', primary: true }],
      name: { familyName: 'updatedFamilyName' },
    });
    now = await ok(replay(f, 'updateUserSingleValued', vars));
    expect(now.userName).toBe('5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com');
    now = await ok(replay(f, 'updateUserPathless', vars));
    expect(now).toMatchObject({
      displayName: 'Pvk Sharma',
      name: { givenName: 'Pvk', familyName: 'updatedFamilyName' },
      emails: [{ value: 'pvk@contoso.com' }],
      [ENTERPRISE]: { department: 'Finance', employeeNumber: '701984' },
    });
    now = await ok(replay(f, 'addManager', vars));
    expect(now[ENTERPRISE].manager).toMatchObject({ value: manager.id, displayName: 'Manager' });
    now = await ok(replay(f, 'removeManager', vars));
    expect(now[ENTERPRISE].manager).toBeUndefined();
    now = await ok(replay(f, 'addManagerArray', vars));
    expect(now[ENTERPRISE].manager.value).toBe(manager.id);

    // Disable with "False" (the default shape): the leaver runs, the TOTP issued before dies.
    const totp = await issueTotp(rt, user.id, admin);
    expect((await ok(replay(f, 'disableUserString', vars))).active).toBe(false);
    const validator = await rt.token('validator');
    const check = await app.inject({
      method: 'POST',
      url: '/api/v1/validate',
      headers: { authorization: `Bearer ${validator}` },
      payload: { username: now.userName, code: totp.code() },
    });
    expect(check.json().result).toBe('reject');
    expect((await ok(replay(f, 'enableUserBoolean', vars))).active).toBe(true);
    expect((await ok(replay(f, 'disableUserBoolean', vars))).active).toBe(false);

    const group = await ok(replay(f, 'createGroup'), 201);
    const gvars = { ...vars, groupId: group.id };
    expect(group).toMatchObject({
      displayName: 'displayName',
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
    });
    expect(Object.keys(await ok(replay(f, 'getGroup', gvars)))).not.toContain('members');
    const found = await ok(replay(f, 'getGroupByDisplayName'));
    expect(found.Resources).toHaveLength(1);
    expect(found.Resources[0].members).toBeUndefined();
    expect((await ok(replay(f, 'updateGroupDisplayName', gvars))).displayName).toBe(
      '1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName',
    );
    const members = (g: Json) => ((g.members ?? []) as Json[]).map((m) => m.value).sort();
    expect(members(await ok(replay(f, 'addMembers', gvars)))).toEqual([user.id, manager.id].sort());
    expect(members(await ok(replay(f, 'removeMembersValueList', gvars)))).toEqual([user.id]);
    expect(members(await ok(replay(f, 'removeMemberFilter', gvars)))).toEqual([]);
    await ok(replay(f, 'deleteGroup', gvars), 204);
    await ok(replay(f, 'deleteUser', vars), 204);
    expectScimError(await scim('GET', `/Users/${user.id}`), 404);
  });

  it('Okta: lookup, create with password, PUT updates, (de)activation and groups', async () => {
    const f = load('okta.json');
    expect(await ok(replay(f, 'checkUserExists'))).toMatchObject({
      totalResults: 0,
      startIndex: 1,
      itemsPerPage: 0,
    });
    const created = await replay(f, 'createUser');
    expect(created.statusCode, created.body).toBe(201);
    expect(created.body).not.toContain('1mz050nq');
    const user = created.json();
    const vars = { userId: user.id };
    expect(user).toMatchObject({
      userName: 'test.user@okta.local',
      displayName: 'Test User',
      externalId: '00ujl29u0le5T6Aj10h7',
      active: true,
    });
    const hash = async () =>
      (
        await rt.ctx.store.db
          .selectFrom('users')
          .select('password_hash')
          .where('id', '=', user.id)
          .executeTakeFirstOrThrow()
      ).password_hash!;
    expect(await verifyPassword(await hash(), '1mz050nq')).toBe(true);
    expect((await ok(replay(f, 'checkUserExists'))).Resources.map((r: Json) => r.id)).toEqual([user.id]);
    expect(await ok(replay(f, 'getUser', vars))).toEqual(user);

    const put = await ok(replay(f, 'updateUserPut', vars));
    expect(put).toMatchObject({
      name: { givenName: 'Another', familyName: 'User' },
      emails: [{ value: 'test.user@okta.local' }],
    });
    // PUT replaces: displayName was not sent, so it is gone; middleName is not kept.
    expect(put.displayName).toBeUndefined();
    expect(put.name.middleName).toBeUndefined();
    expect(put.meta.version).toBe('W/"2"');
    const pw = await replay(f, 'changePasswordPut', vars);
    expect(pw.statusCode).toBe(200);
    expect(pw.body).not.toContain('t1meMa$heen');
    expect(await verifyPassword(await hash(), 't1meMa$heen')).toBe(true);

    expect((await ok(replay(f, 'deactivateUser', vars))).active).toBe(false);
    const receipts = await rt.ctx.store.db
      .selectFrom('audit_events')
      .select('action')
      .where('subject', '=', user.id)
      .where('action', '=', 'person.deprovisioned')
      .execute();
    expect(receipts).toHaveLength(1);
    expect((await ok(replay(f, 'reactivateUser', vars))).active).toBe(true);

    expect(await ok(replay(f, 'listGroups'))).toMatchObject({ totalResults: 0 });
    const group = await ok(replay(f, 'createGroup'), 201);
    const gvars = { ...vars, groupId: group.id };
    expect((await ok(replay(f, 'getGroupByName'))).Resources.map((g: Json) => g.id)).toEqual([group.id]);
    expect((await ok(replay(f, 'renameGroup', gvars))).displayName).toBe('Test SCIMv2 renamed');
    expect((await ok(replay(f, 'addMember', gvars))).members).toEqual([
      {
        value: user.id,
        display: 'test.user@okta.local',
        type: 'User',
        $ref: `http://localhost:8080/scim/v2/Users/${user.id}`,
      },
    ]);
    expect((await ok(replay(f, 'getGroup', gvars))).members).toHaveLength(1);
    expect((await ok(replay(f, 'removeMember', gvars))).members).toBeUndefined();
    await ok(replay(f, 'deleteGroup', gvars), 204);
    expect(await ok(replay(f, 'listGroups'))).toMatchObject({ totalResults: 0 });
  });
});
