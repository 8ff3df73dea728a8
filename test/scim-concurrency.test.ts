import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';
import { expectScimError, filter, scimClient } from './support/scim.js';

/**
 * Uniqueness holds under concurrent creates (SECURITY.md): of 20 parallel POSTs of one
 * userName, exactly one is 201 and the rest 409 uniqueness, on both databases.
 */
describe.each(DIALECTS)('SCIM uniqueness under concurrency on %s', (dialect) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let scim: ReturnType<typeof scimClient>;

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
    app = await rt.app();
    scim = scimClient(app, await rt.token('scim'));
  });
  afterAll(() => rt?.dispose());

  const race = async (bodies: unknown[], path: string) => {
    const answers = await Promise.all(bodies.map((b) => scim('POST', path, b)));
    const created = answers.filter((a) => a.statusCode === 201);
    const refused = answers.filter((a) => a.statusCode !== 201);
    expect(created, answers.map((a) => a.statusCode).join()).toHaveLength(1);
    for (const r of refused) expectScimError(r, 409, 'uniqueness');
    return created[0]!.json();
  };

  it('20 parallel creates of one userName (in any case): one 201, nineteen 409 uniqueness', async () => {
    const bodies = Array.from({ length: 20 }, (_, i) => ({
      userName: i % 2 ? 'Racer@Example.org' : 'racer@example.org',
    }));
    const winner = await race(bodies, '/Users');
    const list = (await scim('GET', `/Users${filter('userName eq "RACER@example.org"')}`)).json();
    expect(list.totalResults).toBe(1);
    expect(list.Resources[0].id).toBe(winner.id);
    const events = await rt.ctx.store.db
      .selectFrom('audit_events')
      .select('subject')
      .where('action', '=', 'scim.user_created')
      .execute();
    expect(events.filter((e) => e.subject === winner.id)).toHaveLength(1);
  });

  it('20 parallel creates of one externalId under different userNames: one 201', async () => {
    const bodies = Array.from({ length: 20 }, (_, i) => ({
      userName: `ext-racer-${i}`,
      externalId: 'hr-4711',
    }));
    await race(bodies, '/Users');
    expect((await scim('GET', `/Users${filter('externalId eq "hr-4711"')}`)).json().totalResults).toBe(1);
  });

  it('20 parallel creates of one group displayName: one 201', async () => {
    const bodies = Array.from({ length: 20 }, (_, i) => ({ displayName: i % 2 ? 'Racers' : 'RACERS' }));
    await race(bodies, '/Groups');
    expect((await scim('GET', `/Groups${filter('displayName eq "racers"')}`)).json().totalResults).toBe(1);
  });

  it('concurrent PATCHes of one User all apply (row lock), each with its own version', async () => {
    const u = (await scim('POST', '/Users', { userName: 'patched-in-parallel' })).json();
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        scim('PATCH', `/Users/${u.id}`, {
          Operations: [{ op: 'replace', path: 'title', value: `title ${i}` }],
        }),
      ),
    );
    for (const a of answers) expect(a.statusCode, a.body).toBe(200);
    const versions = answers.map((a) => a.json().meta.version).sort();
    expect(new Set(versions).size).toBe(10);
    expect((await scim('GET', `/Users/${u.id}`)).json().meta.version).toBe('W/"11"');
  });
});
