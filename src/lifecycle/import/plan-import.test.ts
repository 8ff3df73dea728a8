import { describe, expect, it } from 'vitest';
import { isAppError } from '../../shared/errors.js';
import type { UserRow } from '../../store/schema.js';
import { parseCsv } from './csv.js';
import { readPeopleCsv } from './people-csv.js';
import { type Directory, describeEntry, type Existing, planImport } from './plan-import.js';

function person(id: string, username: string, over: Partial<UserRow> = {}, groups: string[] = []): Existing {
  const row = {
    id,
    username,
    username_lower: username.toLowerCase(),
    email: null,
    display_name: null,
    status: 'active',
    external_id: null,
    manager_id: null,
    department: null,
    employee_number: null,
    version: 1,
    ...over,
  } as UserRow;
  return { row, groups };
}

function directory(...people: Existing[]): Directory {
  return {
    byExternalId: new Map(people.filter((p) => p.row.external_id).map((p) => [p.row.external_id!, p])),
    byUsername: new Map(people.map((p) => [p.row.username_lower, p])),
  };
}

let n = 0;
const ids = () => `new-${++n}`;
const plan = (csv: string, dir: Directory) => planImport(readPeopleCsv(parseCsv(csv)), dir, ids);

describe('planImport (pure)', () => {
  it('creates, updates and leaves alone; matches by externalId first, then username', () => {
    const bob = person('u-bob', 'bob', { email: 'bob@old.org', external_id: 'E2' }, ['staff']);
    const cat = person('u-cat', 'cat', { email: 'cat@example.org' });
    const entries = plan(
      'username,email,externalId,groups\nann,ann@example.org,E1,staff\nrobert,bob@new.org,E2,staff;admins\ncat,cat@example.org,,\n',
      directory(bob, cat),
    );
    expect(entries.map((e) => [e.kind, e.id])).toEqual([
      ['create', expect.stringMatching(/^new-/)],
      ['update', 'u-bob'],
      ['unchanged', 'u-cat'],
    ]);
    expect(entries[1]!.changes).toEqual([
      { field: 'username', from: 'bob', to: 'robert' },
      { field: 'email', from: 'bob@old.org', to: 'bob@new.org' },
    ]);
    expect(entries[1]!.groupsAdded).toEqual(['admins']);
    expect(describeEntry(entries[1]!)).toBe(
      'line 3: update robert: username "bob" -> "robert", email "bob@old.org" -> "bob@new.org", groups +admins',
    );
    expect(describeEntry(entries[0]!)).toContain('line 2: create ann');
  });

  it('resolves managers in the file (by externalId or username) and in the directory', () => {
    const boss = person('u-boss', 'boss', { external_id: 'B1' });
    const entries = plan('username,externalId,manager\nann,A1,dan\ndan,D1,B1\n', directory(boss));
    const dan = entries[1]!;
    expect(entries[0]!.changes).toContainEqual({ field: 'manager_id', from: null, to: dan.id });
    expect(dan.changes).toContainEqual({ field: 'manager_id', from: null, to: 'u-boss' });
  });

  it('refuses conflicts and unknown managers, naming the line', () => {
    const bob = person('u-bob', 'bob', { external_id: 'E2' });
    const other = person('u-x', 'xavier', { external_id: 'E9' });
    const cases: Array<[string, RegExp]> = [
      ['username,externalId\nbob,E3\n', /^line 2: username bob belongs to a person with another externalId/],
      ['username,externalId\nxavier,E2\n', /^line 2: username xavier belongs to another person/],
      ['username,manager\nann,nobody\n', /^line 2: manager nobody is neither/],
      ['username,manager\nann,ann\n', /^line 2: a person cannot be their own manager/],
    ];
    for (const [csv, message] of cases) {
      let err: unknown;
      try {
        plan(csv, directory(bob, other));
      } catch (e) {
        err = e;
      }
      expect(isAppError(err, 'VALIDATION_FAILED'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(message);
    }
  });
});
