import { describe, expect, it } from 'vitest';
import { isAppError } from '../shared/errors.js';
import { applyPatch } from './patch.js';
import { type PatchOp, parsePatchRequest } from './patch-request.js';
import type { Doc } from './resource-doc.js';
import { ENTERPRISE_SCHEMA, GROUP_RESOURCE, USER_RESOURCE } from './scim-schemas.js';
import { docFromUser, userFromDoc } from './user-resource.js';

const ENT = ENTERPRISE_SCHEMA;
const user = (): Doc => ({
  userName: 'bjensen',
  name: { givenName: 'Barbara', familyName: 'Jensen' },
  active: true,
  emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }],
  [ENT]: { department: 'Sales', manager: { value: 'm1' } },
});
const group = (): Doc => ({
  displayName: 'Sales',
  members: [
    { value: 'u1', display: 'Ann' },
    { value: 'u2', display: 'Bob' },
  ],
});

const patchUser = (doc: Doc, ...ops: PatchOp[]) => applyPatch(USER_RESOURCE, doc, ops);
const op = (o: PatchOp['op'], path: string | null, value?: unknown): PatchOp => ({ op: o, path, value });

function scimTypeOf(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (err) {
    return isAppError(err) ? err.details?.scimType : `not an AppError: ${String(err)}`;
  }
}

describe('parsePatchRequest', () => {
  it('accepts capitalised ops and keys as Entra ID sends them, and folds them', () => {
    const ops = parsePatchRequest({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [
        { op: 'Replace', path: 'active', value: 'False' },
        { op: 'ADD', Path: 'title', Value: 'x' },
      ],
    });
    expect(ops).toEqual([op('replace', 'active', 'False'), op('add', 'title', 'x')]);
  });

  it.each([
    ['null', null, 'invalidSyntax'],
    ['an array', [], 'invalidSyntax'],
    ['Operations not an array', { Operations: 'x' }, 'invalidSyntax'],
    ['another message schema', { schemas: ['urn:other'], Operations: [] }, 'invalidSyntax'],
    ['an unknown op', { Operations: [{ op: 'move', path: 'a' }] }, 'invalidSyntax'],
    ['an operation that is no object', { Operations: [42] }, 'invalidSyntax'],
    ['a path that is no string', { Operations: [{ op: 'add', path: 7, value: 1 }] }, 'invalidPath'],
    [
      '1001 operations',
      { Operations: Array.from({ length: 1001 }, () => ({ op: 'remove', path: 'title' })) },
      'invalidSyntax',
    ],
  ])('refuses %s with %s', (_label, body, type) => {
    expect(scimTypeOf(() => parsePatchRequest(body))).toBe(type);
  });
});

describe('applyPatch on a User', () => {
  it('replaces simple and sub-attributes by path, and turns "False" into false', () => {
    const out = patchUser(
      user(),
      op('replace', 'active', 'False'),
      op('replace', 'name.familyName', 'Smith'),
      op('add', 'TITLE', 'Boss'),
    );
    expect(out).toMatchObject({
      active: false,
      name: { givenName: 'Barbara', familyName: 'Smith' },
      title: 'Boss',
    });
  });

  it('replaces through a value filter, and creates the filtered value when there is none (Entra ID)', () => {
    const out = patchUser(user(), op('replace', 'emails[type eq "work"].value', 'b@new.example'));
    expect(out.emails).toEqual([{ value: 'b@new.example', type: 'work', primary: true }]);
    const none = patchUser({ userName: 'x' }, op('add', 'emails[type eq "work"].value', 'x@example.com'));
    expect(none.emails).toEqual([{ type: 'work', value: 'x@example.com' }]);
  });

  it('treats a path-less replace as one operation per key, including path keys and URN keys', () => {
    const out = patchUser(
      user(),
      op('replace', null, {
        displayName: 'Babs',
        'name.givenName': 'Barb',
        'emails[type eq "work"].value': 'babs@example.com',
        [`${ENT}:employeeNumber`]: '701984',
        [ENT]: { department: 'Tour Operations' },
        active: 'True',
      }),
    );
    expect(out).toMatchObject({
      displayName: 'Babs',
      name: { givenName: 'Barb', familyName: 'Jensen' },
      emails: [{ value: 'babs@example.com' }],
      active: true,
      [ENT]: { employeeNumber: '701984', department: 'Tour Operations', manager: { value: 'm1' } },
    });
  });

  it('merges a complex value and drops its read-only and derived parts', () => {
    const out = patchUser(user(), op('replace', 'name', { familyName: 'J', formatted: 'ignored' }));
    expect(out.name).toEqual({ givenName: 'Barbara', familyName: 'J' });
  });

  it('sets the manager from a bare id (Entra ID) and removes it', () => {
    const set = patchUser(user(), op('add', `${ENT}:manager`, 'm2'));
    expect((set[ENT] as Doc).manager).toEqual({ value: 'm2' });
    const gone = patchUser(user(), op('remove', `${ENT}:manager`));
    expect(gone[ENT]).toEqual({ department: 'Sales' });
  });

  it('adds a primary email and demotes the old primary; removes by value filter', () => {
    const out = patchUser(
      user(),
      op('add', 'emails', [{ value: 'home@example.com', type: 'home', primary: true }]),
    );
    expect(out.emails).toEqual([
      { value: 'bjensen@example.com', type: 'work', primary: false },
      { value: 'home@example.com', type: 'home', primary: true },
    ]);
    const removed = patchUser(out, op('remove', 'emails[type eq "home"]'));
    expect(removed.emails).toEqual([{ value: 'bjensen@example.com', type: 'work', primary: false }]);
  });

  it('ignores known attributes it does not keep and read-only keys inside a path-less value', () => {
    const out = patchUser(
      user(),
      op('replace', null, { id: 'other', phoneNumbers: [{ value: '1' }], nickName: 'B' }),
    );
    expect(out).toEqual(user());
    expect(patchUser(user(), op('replace', 'name.middleName', 'Q'))).toEqual(user());
  });

  it('never touches its input, and a bad operation anywhere leaves nothing applied', () => {
    const doc = user();
    const before = structuredClone(doc);
    expect(scimTypeOf(() => patchUser(doc, op('replace', 'title', 'Boss'), op('replace', 'nope', 'x')))).toBe(
      'invalidPath',
    );
    expect(doc).toEqual(before);
    patchUser(doc, op('replace', 'title', 'Boss'));
    expect(doc).toEqual(before);
  });

  it.each([
    [op('replace', 'unknownAttr', 'x'), 'invalidPath'],
    [op('replace', 'name.nope', 'x'), 'invalidPath'],
    [op('replace', 'emails[type eq "work"', 'x'), 'invalidPath'],
    [op('replace', 'emails[nope eq "work"].value', 'x'), 'invalidPath'],
    [op('replace', 'id', 'x'), 'mutability'],
    [op('replace', 'meta.version', 'x'), 'mutability'],
    [op('add', 'groups', [{ value: 'g' }]), 'mutability'],
    [op('remove', null), 'noTarget'],
    [op('replace', 'emails[type eq "work" or type eq "home"].display', 'x'), undefined],
    [op('replace', 'emails[value co "nobody"]', { value: 'a@b.c' }), 'noTarget'],
    [op('replace', 'active', 'yes'), 'invalidValue'],
    [op('replace', 'name', 'Barbara'), 'invalidValue'],
    [op('replace', null, 'not an object'), 'invalidValue'],
    [op('replace', 'title', undefined), 'invalidValue'],
    [op('replace', 'title[value eq "x"]', 'x'), 'invalidPath'],
  ])('%j fails with %s', (o, type) => {
    expect(scimTypeOf(() => patchUser(user(), o))).toBe(type);
  });

  it('round-trips with userFromDoc: the result is validated as a whole', () => {
    const out = patchUser(user(), op('remove', 'userName'));
    expect(() => userFromDoc(out)).toThrow();
    const input = userFromDoc(patchUser(user(), op('replace', 'password', 'new-secret-1')));
    expect(input.password).toBe('new-secret-1');
    expect(input.fields).toMatchObject({
      username: 'bjensen',
      email: 'bjensen@example.com',
      manager_id: 'm1',
    });
  });

  it('starts from what a stored row says (docFromUser)', () => {
    const doc = docFromUser({
      id: 'u',
      username: 'Ann',
      username_lower: 'ann',
      email: null,
      display_name: null,
      status: 'deprovisioned',
      external_id: 'e1',
      password_hash: 'secret-hash',
      failed_attempts: 0,
      locked_until: null,
      created_at: 0,
      updated_at: 0,
      given_name: null,
      family_name: 'A',
      title: null,
      employee_number: null,
      department: null,
      manager_id: null,
      version: 1,
      deleted_at: null,
      start_date: null,
    });
    expect(doc).toEqual({ externalId: 'e1', userName: 'Ann', name: { familyName: 'A' }, active: false });
  });
});

describe('applyPatch on a Group', () => {
  const patchGroup = (...ops: PatchOp[]) => applyPatch(GROUP_RESOURCE, group(), ops);
  const ids = (d: Doc) => (d.members as Doc[] | undefined)?.map((m) => m.value) ?? [];

  it('adds members (no duplicates) and drops their read-only parts', () => {
    const out = patchGroup(
      op('add', 'members', [{ value: 'u3', display: 'Cy', $ref: null }, { value: 'u1' }]),
    );
    expect(ids(out)).toEqual(['u1', 'u2', 'u3']);
    expect((out.members as Doc[])[2]).toEqual({ value: 'u3' });
  });

  it('removes a member by value filter; removing a non-member changes nothing', () => {
    expect(ids(patchGroup(op('remove', 'members[value eq "u1"]')))).toEqual(['u2']);
    expect(ids(patchGroup(op('remove', 'members[value eq "nobody"]')))).toEqual(['u1', 'u2']);
  });

  it("removes the members listed in the value (Entra ID's older shape), or all without one", () => {
    const [legacy] = parsePatchRequest({
      Operations: [{ op: 'Remove', path: 'members', value: [{ $ref: null, value: 'u2' }] }],
    });
    expect(ids(patchGroup(legacy!))).toEqual(['u1']);
    expect(ids(patchGroup(op('remove', 'members')))).toEqual([]);
  });

  it('renames from a path-less replace that also carries the id (Okta)', () => {
    const out = patchGroup(op('replace', null, { id: 'g1', displayName: 'Sales EMEA' }));
    expect(out.displayName).toBe('Sales EMEA');
    expect(ids(out)).toEqual(['u1', 'u2']);
  });

  it('replaces the whole member list', () => {
    expect(ids(patchGroup(op('replace', 'members', [{ value: 'u9' }])))).toEqual(['u9']);
  });
});
