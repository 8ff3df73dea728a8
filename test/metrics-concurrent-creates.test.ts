import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { issueTotp } from './support/people.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';
import { scimClient, USER_SCHEMA } from './support/scim.js';

const WORKERS = 20;
const ROUNDS = 10;
const GROUPS = ['Load', 'Load-A', 'Load-B'];

/**
 * Concurrent creates touch the shared metrics tallies (people by status, factors by type and
 * state, the funnel of everyone and of each group) in every transaction: 20 parallel clients × 10
 * people each, through the admin API (with groups, in varying order) and SCIM, each person then
 * enrolling a TOTP. Every request succeeds (no deadlock, no lock wait failure) and the figures
 * count every one of them exactly.
 */
describe.each(DIALECTS)('concurrent creates and the metrics tallies on %s', (dialect) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let admin: string;
  let validator: string;
  let scim: ReturnType<typeof scimClient>;

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
    app = await rt.app();
    admin = await rt.token('admin');
    validator = await rt.token('validator');
    scim = scimClient(app, await rt.token('scim'));
    // The groups exist beforehand: the race is on the tallies, not on creating a group.
    await rt.services.identity.create({ label: 'test' }, { username: 'seed', groups: GROUPS });
  });
  afterAll(() => rt?.dispose());

  const api = (url: string, token: string, payload: Record<string, unknown>) =>
    app.inject({
      method: 'POST',
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${token}` },
      payload,
    });

  /** One person: created (admin API with groups, or SCIM), a TOTP issued and activated by its first code. */
  const journey = async (worker: number, round: number): Promise<string[]> => {
    const username = `load-${worker}-${round}`;
    const failures: string[] = [];
    const expectOk = (what: string, res: { statusCode: number; body: string }) => {
      if (res.statusCode < 200 || res.statusCode > 299)
        failures.push(`${what} ${res.statusCode} ${res.body}`);
      return res.statusCode < 300;
    };
    const viaScim = (worker + round) % 3 === 0;
    const created = viaScim
      ? await scim('POST', '/Users', { schemas: [USER_SCHEMA], userName: username, active: true })
      : await api('/users', admin, {
          username,
          // Both orders of the shared groups, so lock order would differ between transactions.
          groups: worker % 2 ? [GROUPS[0], GROUPS[1 + (round % 2)]] : [GROUPS[1 + (round % 2)], GROUPS[0]],
        });
    if (!expectOk('create', created)) return failures;
    const id = (created.json() as { id: string }).id;
    const totp = await issueTotp(rt, id, admin);
    expectOk('validate', await api('/validate', validator, { username, code: totp.code() }));
    return failures;
  };

  it(`${WORKERS} parallel clients × ${ROUNDS} creates: every request succeeds and every figure counts them`, {
    timeout: 180_000,
  }, async () => {
    const failures = (
      await Promise.all(
        Array.from({ length: WORKERS }, async (_, worker) => {
          const out: string[] = [];
          for (let round = 0; round < ROUNDS; round++) out.push(...(await journey(worker, round)));
          return out;
        }),
      )
    ).flat();
    expect(failures).toEqual([]);

    const people = WORKERS * ROUNDS;
    const viaApi = Array.from({ length: WORKERS }, (_, w) =>
      Array.from({ length: ROUNDS }, (_, r) => (w + r) % 3 !== 0),
    ).flat();
    const grouped = viaApi.filter(Boolean).length;
    const s = await rt.services.metrics.compute();
    expect(s.people.byStatus).toEqual({ active: people + 1 });
    expect(s.enrolment.overall).toMatchObject({ invited: people + 1, started: people, completed: people });
    expect(s.enrolment.byGroup.find((g) => g.group === 'Load')).toMatchObject({
      invited: grouped + 1,
      started: grouped,
      completed: grouped,
    });
    const ab = s.enrolment.byGroup.filter((g) => g.group !== 'Load').reduce((n, g) => n + g.completed, 0);
    expect(ab).toBe(grouped);
    expect(s.factors.activeByType.totp).toBe(people);
    // Compaction changes none of it.
    await rt.services.metricsCompaction.handle();
    const after = await rt.services.metrics.compute();
    expect([after.people, after.enrolment, after.factors]).toEqual([s.people, s.enrolment, s.factors]);
  });
});
