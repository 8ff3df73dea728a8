import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { COMMON_GARBAGE, deepObject, type GarbageBody } from './support/garbage.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';
import { ERROR_SCHEMA, scimClient } from './support/scim.js';

/** Bodies no SCIM route should answer with a 5xx. */
const GARBAGE: GarbageBody[] = [
  ...COMMON_GARBAGE,
  {
    label: 'wrong types',
    payload: '{"userName":123,"name":"x","emails":{"value":[]},"active":{},"members":"all","Operations":{}}',
  },
  { label: 'deeply nested object', payload: `{"userName":"deep","name":${deepObject(3_000)}}` },
  {
    label: 'NUL and lone surrogates',
    payload: JSON.stringify({ userName: 'nul\u0000', displayName: '\ud800', title: '\u0000' }),
  },
  {
    label: 'patch junk',
    payload: JSON.stringify({
      Operations: [
        { op: 'add', path: 'emails[value eq "\u0000"].x', value: { a: [null, {}, []] } },
        { op: null },
      ],
    }),
  },
  {
    label: 'patch with huge path',
    payload: JSON.stringify({ Operations: [{ op: 'add', path: `${'('.repeat(3000)}`, value: 1 }] }),
  },
  {
    label: 'bulk junk',
    payload: JSON.stringify({
      Operations: [
        {
          method: 'POST',
          path: '/Users',
          bulkId: 'a',
          data: { userName: 'bulkId:a', members: [{ value: 'bulkId:a' }] },
        },
        null,
      ],
    }),
  },
  { label: 'oversize', payload: JSON.stringify({ userName: 'big', displayName: 'x'.repeat(200_000) }) },
  { label: 'wrong media type', payload: 'userName=a', type: 'application/x-www-form-urlencoded' },
  { label: 'text', payload: 'hello', type: 'text/plain' },
];

const QUERIES = [
  '?filter=%22',
  `?filter=${encodeURIComponent('userName eq "\u0000"')}`,
  `?filter=${'('.repeat(1000)}`,
  '?startIndex=1e400&count=-1e400',
  '?startIndex=abc',
  '?startIndex=1&startIndex=2',
  '?attributes=userName&attributes=emails&excludedAttributes=a&excludedAttributes=b&filter=x&filter=y',
  '?count=99999999999999999999',
  `?sortBy=${'a.'.repeat(300)}&sortOrder=x`,
  `?attributes=${encodeURIComponent('emails[type eq "x"],,,urn:,.,' + 'x'.repeat(5000))}`,
  `?excludedAttributes=${encodeURIComponent('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value,id,schemas')}`,
];

/** Every SCIM route, with every kind of garbage: never a 5xx, always the SCIM error schema, nothing changed. */
describe.each(DIALECTS)('garbage to every SCIM route on %s', (dialect) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let token: string;

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
    app = await rt.app();
    token = await rt.token('scim');
  });
  afterAll(() => rt.dispose());

  const counts = async () => {
    const out: Record<string, unknown> = {};
    for (const table of ['users', 'groups', 'group_members', 'authenticators'] as const) {
      out[table] = Number(
        (
          await rt.ctx.store.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    }
    out.versions = (
      await rt.ctx.store.db.selectFrom('users').select(['version', 'status']).orderBy('id').execute()
    )
      .map((r) => `${r.version}${r.status}`)
      .join();
    return out;
  };

  it('answers 4xx SCIM errors, never 5xx, and changes nothing', async () => {
    const scim = scimClient(app, token);
    const user = (await scim('POST', '/Users', { userName: 'garbage-target' })).json();
    const group = (
      await scim('POST', '/Groups', { displayName: 'garbage-group', members: [{ value: user.id }] })
    ).json();
    const before = await counts();
    const ids = [user.id, group.id, 'no-such-id', "' OR 1=1 --", '%00', 'x'.repeat(300), '..%2F..%2Fetc'];
    const routes = [
      ['POST', '/Users'],
      ['POST', '/Users/.search'],
      ['PUT', '/Users/:id'],
      ['PATCH', '/Users/:id'],
      ['POST', '/Groups'],
      ['POST', '/Groups/.search'],
      ['PUT', '/Groups/:id'],
      ['PATCH', '/Groups/:id'],
      ['POST', '/Bulk'],
    ] as const;
    let calls = 0;
    const check = (res: Awaited<ReturnType<typeof app.inject>>, label: string) => {
      calls += 1;
      expect(res.statusCode, `${label}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
      if (res.statusCode >= 400) {
        expect(res.headers['content-type'], label).toMatch(/^application\/scim\+json/);
        expect(res.json().schemas, label).toEqual([ERROR_SCHEMA]);
      }
    };
    for (const [method, path] of routes) {
      for (const id of path.includes(':id') ? ids : ['']) {
        const url = `/scim/v2${path.replace(':id', id)}`;
        for (const g of GARBAGE) {
          const res = await app.inject({
            method,
            url,
            headers: { authorization: `Bearer ${token}`, 'content-type': g.type ?? 'application/scim+json' },
            payload: g.payload,
          });
          check(res, `${method} ${url} ${g.label}`);
          // A .search body that parses to nothing harmful may list; a Bulk body may hold failed operations.
          if (!path.endsWith('.search') && path !== '/Bulk')
            expect(res.statusCode, `${method} ${url} ${g.label}`).toBeGreaterThanOrEqual(400);
        }
      }
    }
    for (const resource of ['Users', 'Groups']) {
      for (const q of QUERIES) {
        check(
          await app.inject({
            url: `/scim/v2/${resource}${q}`,
            headers: { authorization: `Bearer ${token}` },
          }),
          `GET ${resource}${q}`,
        );
        check(
          await app.inject({
            url: `/scim/v2/${resource}/${user.id}${q}`,
            headers: { authorization: `Bearer ${token}` },
          }),
          `GET one ${q}`,
        );
      }
    }
    for (const h of [
      { 'if-match': '"' },
      { 'if-match': 'W/"x", *garbage' },
      { authorization: `Bearer ${'x'.repeat(5000)}` },
    ]) {
      check(
        await app.inject({
          method: 'DELETE',
          url: `/scim/v2/Users/no-such-id`,
          headers: { authorization: `Bearer ${token}`, ...h },
        }),
        JSON.stringify(h).slice(0, 50),
      );
    }
    expect(calls).toBeGreaterThan(500);
    expect(await counts()).toEqual(before);
  });
});
