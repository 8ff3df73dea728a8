import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';

/** The jobs admin API: list by state, read one, retry one that gave up. */
describe.each(DIALECTS)('jobs admin API on %s', (dialect) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let admin: string;
  let deadId: string;
  let sealedMailId: string;

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
    app = await rt.app();
    admin = await rt.token('admin');
    deadId = (
      await rt.services.jobs.enqueue(rt.ctx.store.db, { kind: 'doomed', payload: { n: 1 }, maxAttempts: 1 })
    ).id;
    await rt.services.jobs
      .worker({ workerId: 'api-test' })
      .register('doomed', async () => {
        throw new Error('nope');
      })
      .runOnce();
    sealedMailId = (
      await rt.services.mail.queue(rt.ctx.store.db, 'ann@example.org', {
        subject: 'Hi',
        text: 'secret-link',
        html: 'x',
      })
    ).jobId;
  });
  afterAll(async () => rt?.dispose());

  const call = (method: 'GET' | 'POST', url: string, token = admin) =>
    app.inject({ method, url, headers: { authorization: `Bearer ${token}` } });

  it('lists jobs by state, newest first, without sealed payloads', async () => {
    const dead = await call('GET', '/api/v1/jobs?state=dead');
    expect(dead.statusCode).toBe(200);
    expect((dead.json() as { jobs: Array<{ id: string }> }).jobs.map((j) => j.id)).toEqual([deadId]);
    const queued = (await call('GET', '/api/v1/jobs?state=queued')).json() as {
      jobs: Array<{ id: string; payload: unknown }>;
    };
    expect(queued.jobs.map((j) => j.id)).toEqual([sealedMailId]);
    expect(queued.jobs[0]!.payload).toEqual({ to: 'ann@example.org', subject: 'Hi' });
    expect((await call('GET', `/api/v1/jobs/${deadId}`)).json()).toMatchObject({
      id: deadId,
      kind: 'doomed',
      state: 'dead',
      attempts: 1,
      maxAttempts: 1,
      lastError: 'nope',
    });
  });

  it('retries a dead job once: queued again with fresh attempts, audited', async () => {
    const res = await call('POST', `/api/v1/jobs/${deadId}/retry`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: deadId, state: 'queued', attempts: 0, doneAt: null });
    const again = await call('POST', `/api/v1/jobs/${deadId}/retry`);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'INVALID_STATE' });
    const audit = await rt.services.audit.forSubject(deadId);
    expect(audit.map((e) => e.action)).toEqual(['job.retried', 'job.dead']);
  });

  it('answers 404, 400 and 403 where it should', async () => {
    expect((await call('GET', '/api/v1/jobs/nope')).json()).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect((await call('POST', '/api/v1/jobs/nope/retry')).json()).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
    });
    expect((await call('GET', '/api/v1/jobs?state=sleeping')).json()).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    expect((await call('GET', '/api/v1/jobs', await rt.token('helpdesk'))).statusCode).toBe(403);
  });
});
