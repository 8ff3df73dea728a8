import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostileValue, RUNS } from '../support/arbitraries.js';
import { createTestRuntime, type TestRuntime } from '../support/runtime.js';
import { ENTERPRISE, filter, PATCH_OP, PORTCULLIS, scimClient, USER_SCHEMA } from '../support/scim.js';
import { stateFingerprint } from '../support/state-fingerprint.js';

/** Attribute paths a provisioning client might name, valid and not. */
const attrPath = fc.oneof(
  fc.constantFrom(
    'userName',
    'displayName',
    'title',
    'externalId',
    'active',
    'id',
    'name.familyName',
    'name.givenName',
    'emails.value',
    'emails.type',
    'meta.created',
    'meta.lastModified',
    'groups.value',
    'members.value',
    `${ENTERPRISE}:department`,
    `${ENTERPRISE}:manager.value`,
    `${PORTCULLIS}:startDate`,
    'startDate',
    'urn:bogus:schema:x',
    'password',
  ),
  fc.string({ maxLength: 12 }),
);

const compareOp = fc.oneof(
  fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'EQ', 'Co'),
  fc.string({ maxLength: 4 }),
);

const literal = fc.oneof(
  fc.string({ maxLength: 20 }).map((s) => JSON.stringify(s)),
  fc.integer().map(String),
  fc.double({ noNaN: true }).map(String),
  fc.constantFrom(
    'true',
    'false',
    'null',
    '"2026-11-28T12:00:00Z"',
    '"2026-12-08"',
    '"2026-02-30"',
    '"%"',
    '"_"',
    "'x'",
    '"\\"',
    '"a',
  ),
);

const comparison = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(attrPath, compareOp, literal).map(([a, o, v]) => `${a} ${o} ${v}`) },
  { weight: 1, arbitrary: attrPath.map((a) => `${a} pr`) },
);

/** Filters by the RFC 7644 grammar (and beside it), nested up to a few levels. */
const { filterText } = fc.letrec((tie) => ({
  filterText: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    comparison,
    tie('filterText').map((f) => `(${f})`),
    tie('filterText').map((f) => `not (${f})`),
    fc
      .tuple(tie('filterText'), fc.constantFrom('and', 'or', 'AND', 'xor'), tie('filterText'))
      .map(([a, l, b]) => `${a} ${l} ${b}`),
    fc
      .tuple(fc.constantFrom('emails', 'groups', 'members', 'name'), comparison)
      .map(([a, c]) => `${a}[${c}]`),
  ),
}));

/** A well-formed filter with random damage: a character inserted, or the text cut short. */
const damagedFilter = fc
  .tuple(filterText, fc.nat(), fc.string({ minLength: 1, maxLength: 3 }), fc.boolean())
  .map(([f, at, junk, cut]) => {
    const i = at % (f.length + 1);
    return cut ? f.slice(0, i) : f.slice(0, i) + junk + f.slice(i);
  });

const patchPath = fc.oneof(
  attrPath,
  fc.constantFrom(
    'emails[type eq "work"].value',
    'members[value eq "nobody"]',
    'emails[value co "@"]',
    'name',
  ),
  damagedFilter,
);

const patchValue = fc.oneof(
  hostileValue,
  fc.constantFrom(
    true,
    false,
    'New Name',
    { displayName: 'Patched', active: false },
    [{ value: 'someone@example.org', type: 'work', primary: true }],
    [{ value: 'no-such-id' }],
    { [`${ENTERPRISE}:department`]: 'Ops' },
    { [PORTCULLIS]: { startDate: '2027-01-04' } },
    { [PORTCULLIS]: { startDate: '2027-02-29' } },
    '2026-12-08',
    '2026-12-08T00:00:00Z',
    { name: { familyName: 'X' } },
  ),
);

const operation = fc.record(
  {
    op: fc.oneof(fc.constantFrom('add', 'replace', 'remove', 'Add', 'REPLACE'), fc.string({ maxLength: 8 })),
    path: patchPath,
    value: patchValue,
  },
  { requiredKeys: ['op'] },
);

const patchBody = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .array(operation, { maxLength: 4 })
      .map((Operations) => ({ schemas: [PATCH_OP], Operations })),
  },
  {
    weight: 1,
    arbitrary: fc.record({ schemas: hostileValue, Operations: hostileValue }, { requiredKeys: [] }),
  },
  { weight: 1, arbitrary: hostileValue },
);

/**
 * SCIM under hostile provisioning clients (SQLite, in-process): filters built by the grammar and
 * damaged, PATCH bodies of every shape. Never a 5xx, always the SCIM error schema; a search
 * writes nothing and a refused PATCH changes nothing, the audit chain included.
 */
describe('hostile SCIM input on sqlite', () => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let scim: ReturnType<typeof scimClient>;
  let userId: string;
  let groupId: string;

  beforeAll(async () => {
    rt = await createTestRuntime('sqlite');
    app = await rt.app();
    scim = scimClient(app, await rt.token('scim'));
    const user = await scim('POST', '/Users', {
      schemas: [USER_SCHEMA],
      userName: 'target',
      displayName: 'Target',
      emails: [{ value: 'target@example.org', type: 'work' }],
    });
    userId = user.json().id;
    const group = await scim('POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Ops',
      members: [{ value: userId }],
    });
    groupId = group.json().id;
  }, 30_000);
  afterAll(async () => rt?.dispose());

  const expectScimAnswer = (res: Awaited<ReturnType<typeof scim>>) => {
    expect(res.statusCode, res.body).toBeLessThan(500);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
  };

  it('filters (grammar-built and damaged): 200 or 400, never a write', async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(filterText, damagedFilter, fc.string({ maxLength: 40 })),
        fc.constantFrom('/Users', '/Groups'),
        fc.option(fc.tuple(attrPath, fc.integer({ min: -5, max: 1_000_000 })), { nil: undefined }),
        async (text, resource, extra) => {
          const before = await stateFingerprint(rt.ctx.store);
          const paging = extra
            ? `&sortBy=${encodeURIComponent(extra[0])}&startIndex=${extra[1]}&count=${extra[1]}`
            : '';
          const res = await scim('GET', `${resource}${filter(text, paging)}`);
          expectScimAnswer(res);
          expect([200, 400]).toContain(res.statusCode);
          seen.add(res.statusCode);
          expect(await stateFingerprint(rt.ctx.store)).toBe(before);
        },
      ),
      {
        ...RUNS,
        numRuns: 150,
        // One filter that parses and one that does not, whatever the random ones turn out to be.
        examples: [
          ['userName eq "target"', '/Users', undefined],
          ['userName eq', '/Users', undefined],
        ],
      },
    );
    // Both sides were reached: filters that parse and run, and filters refused.
    expect([...seen].sort()).toEqual([200, 400]);
  }, 60_000);

  it('PATCH bodies to a user and a group: never a 5xx; a refused PATCH changes nothing', async () => {
    let applied = 0;
    await fc.assert(
      fc.asyncProperty(patchBody, fc.boolean(), async (body, toGroup) => {
        const before = await stateFingerprint(rt.ctx.store);
        const res = await scim(
          'PATCH',
          toGroup ? `/Groups/${groupId}` : `/Users/${userId}`,
          JSON.stringify(body),
        );
        expectScimAnswer(res);
        if (res.statusCode >= 400) expect(await stateFingerprint(rt.ctx.store)).toBe(before);
        else applied += 1;
      }),
      { ...RUNS, numRuns: 150 },
    );
    expect(applied).toBeGreaterThan(0);
  }, 60_000);
});
