import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { COMMON_GARBAGE, type GarbageBody } from './support/garbage.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';

/** Bodies no route should ever answer with a 5xx. */
const GARBAGE: GarbageBody[] = [
  ...COMMON_GARBAGE,
  {
    label: 'wrong types',
    payload: '{"username":123,"code":[],"type":{},"userId":false,"reason":9,"name":null}',
  },
  { label: 'oversize', payload: JSON.stringify({ name: 'x'.repeat(200_000) }) },
  {
    label: 'unicode junk',
    payload: JSON.stringify({ username: '\u0000\uffff\ud800', code: '١٢٣٤٥٦', type: 'totp' }),
  },
  { label: 'wrong media type', payload: 'username=a&code=b', type: 'application/x-www-form-urlencoded' },
];

/** Rows in every table that holds state (audit aside: attempts are audited by design). */
async function tableCounts(rt: TestRuntime): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of [
    'users',
    'groups',
    'group_members',
    'authenticators',
    'one_time_codes',
    'api_tokens',
  ] as const) {
    const r = await rt.ctx.store.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    out[table] = Number(r.n);
  }
  const changed = await rt.ctx.store.db
    .selectFrom('users')
    .select(['id', 'status', 'updated_at', 'password_hash'])
    .execute();
  out.userFingerprint = changed
    .map((u) => `${u.id}${u.status}${u.updated_at}${u.password_hash}`)
    .join().length;
  return out;
}

/** Every /api/v1 route, every role that may call it, every kind of garbage: never a 500. */
describe.each(DIALECTS)('garbage to every route on %s', (dialect) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
    app = await rt.app();
    for (const role of ['admin', 'helpdesk', 'approver', 'auditor', 'validator'] as const) {
      tokens[role] = await rt.token(role);
    }
  });
  afterAll(() => rt.dispose());

  it('answers 4xx problem+json, never 5xx, and changes nothing', async () => {
    const person = await rt.services.identity.create({ label: 'test' }, { username: 'garbage-target' });
    const before = await tableCounts(rt);
    const ids = ['no-such-id', person.id, '../../etc/passwd', "' OR 1=1 --", 'x'.repeat(300), '%00'];
    let calls = 0;
    for (const route of app.apiRouteTable) {
      const role = route.roles[0]!;
      for (const id of ids) {
        const url = route.url.replace(/:(\w+)/g, encodeURIComponent(id));
        for (const g of route.method === 'GET' ? [GARBAGE[0]!] : GARBAGE) {
          const res = await app.inject({
            method: route.method as 'POST',
            url:
              route.method === 'GET' ? `${url}?limit=abc&offset=-1&since=yesterday&q=${'%'.repeat(3)}` : url,
            headers: {
              authorization: `Bearer ${tokens[role]}`,
              'content-type': g.type ?? 'application/json',
            },
            ...(route.method === 'GET' ? {} : { payload: g.payload }),
          });
          calls += 1;
          const label = `${route.method} ${url} ${g.label}: ${res.body.slice(0, 200)}`;
          expect(res.statusCode, label).toBeLessThan(500);
          if (res.statusCode >= 400)
            expect(res.headers['content-type'], label).toContain('application/problem+json');
        }
      }
    }
    expect(calls).toBeGreaterThan(100);
    expect(await tableCounts(rt)).toEqual(before);
    expect((await rt.services.audit.verify()).ok).toBe(true);
  });
});
