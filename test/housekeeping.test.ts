import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUSEKEEPING } from '../src/housekeeping/housekeeping-schedule.js';
import { HousekeepingService } from '../src/housekeeping/housekeeping-service.js';
import { oidcModelsRepo } from '../src/store/repos/oidc-models.js';
import { DIALECTS } from './support/databases.js';
import { drainJobs } from './support/lifecycle.js';
import { createPerson } from './support/people.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/**
 * Housekeeping on both dialects, driven by the ManualClock: finished jobs and dev-outbox
 * messages past their retention go, failed jobs and audit events stay, expired oidc-provider
 * models go, expired access passes end revoked with an audit event, in bounded batches, and
 * the hourly chain is one job per slot however many instances schedule it.
 */
describe.each(DIALECTS)('housekeeping on %s', (dialect) => {
  let rt: TestRuntime;
  const db = () => rt.ctx.store.db;
  const count = async (table: 'jobs' | 'outbox' | 'oidc_models' | 'audit_events', kind?: string) => {
    let q = db()
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'));
    if (kind) q = q.where('kind' as never, '=', kind as never);
    return Number((await q.executeTakeFirstOrThrow()).n);
  };
  const queueMail = (to: string, subject: string) =>
    rt.ctx.store.transaction((trx) =>
      rt.services.mail.queue(trx, to, { subject, text: `${subject} text`, html: `<p>${subject}</p>` }),
    );
  const runHousekeeping = (svc: HousekeepingService = rt.services.housekeeping) =>
    svc.handle({ id: `run-${rt.clock.now()}`, kind: HOUSEKEEPING, attempt: 1, maxAttempts: 5 });

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
  });
  afterAll(async () => rt?.dispose());

  it('deletes done jobs and outbox messages past the retention; failed jobs and audit events stay', async () => {
    const failing = rt.services.jobs.worker({ workerId: 'hk-fail' }).register('hk-broken', async () => {
      throw new Error('always');
    });
    const { id: deadId } = await rt.services.jobs.enqueue(db(), {
      kind: 'hk-broken',
      payload: {},
      maxAttempts: 1,
    });
    expect(await failing.runOnce()).toBe(1);
    const old = await queueMail('old@example.org', 'old mail');
    await drainJobs(rt);
    rt.clock.advance(10 * DAY);
    const recent = await queueMail('recent@example.org', 'recent mail');
    await drainJobs(rt);
    expect((await rt.services.jobs.get(old.jobId)).state).toBe('done');
    expect(await count('outbox')).toBe(2);
    const auditBefore = await count('audit_events');

    // Day 10: nothing is 14 days old yet.
    expect(await runHousekeeping()).toMatchObject({ jobs: 0, outbox: 0 });
    rt.clock.advance(5 * DAY);
    // Day 15: the first mail's job and message are past the retention, the second's are not.
    expect(await runHousekeeping()).toMatchObject({ jobs: 1, outbox: 1 });
    await expect(rt.services.jobs.get(old.jobId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await rt.services.jobs.get(recent.jobId)).state).toBe('done');
    expect((await rt.services.jobs.get(deadId)).state).toBe('dead');
    expect((await rt.services.outbox.list()).map((m) => m.to)).toEqual(['recent@example.org']);
    expect(await count('audit_events')).toBeGreaterThanOrEqual(auditBefore);
    expect((await rt.services.audit.forSubject(deadId)).map((e) => e.action)).toEqual(['job.dead']);
  });

  it('honours the configured retention', async () => {
    const short = await createTestRuntime(dialect, { env: { PORTCULLIS_JOB_RETENTION_DAYS: '1' } });
    try {
      const mail = await short.ctx.store.transaction((trx) =>
        short.services.mail.queue(trx, 'x@example.org', { subject: 's', text: 't', html: 'h' }),
      );
      await drainJobs(short);
      short.clock.advance(DAY + 1);
      const result = await short.services.housekeeping.handle({
        id: 'r',
        kind: HOUSEKEEPING,
        attempt: 1,
        maxAttempts: 1,
      });
      expect(result).toMatchObject({ jobs: 1, outbox: 0 });
      await expect(short.services.jobs.get(mail.jobId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      await short.dispose();
    }
  });

  it('deletes expired oidc-provider models (sessions, codes, grants), keeps live and unexpiring ones', async () => {
    const now = Date.now();
    const model = (kind: string, id: string, expiresAt: number | null) =>
      oidcModelsRepo.upsert(db(), {
        kind,
        id,
        payload: '{}',
        grant_id: null,
        user_code: null,
        uid: null,
        account_id: null,
        expires_at: expiresAt,
      });
    await model('Session', 'gone-session', now - HOUR);
    await model('AuthorizationCode', 'gone-code', now - 1_000);
    await model('Grant', 'gone-grant', now - DAY);
    await model('Session', 'live-session', now + HOUR);
    await model('Grant', 'forever-grant', null);
    expect(await runHousekeeping()).toMatchObject({ oidcModels: 3 });
    const left = await db().selectFrom('oidc_models').select(['kind', 'id']).orderBy('id').execute();
    expect(left).toEqual([
      { kind: 'Grant', id: 'forever-grant' },
      { kind: 'Session', id: 'live-session' },
    ]);
  });

  it('revokes expired, never-redeemed access passes with an audit event; live passes stay pending', async () => {
    const expiring = await createPerson(rt, 'hk-pass-old');
    const live = await createPerson(rt, 'hk-pass-new');
    const admin = { label: 'test' };
    const oldPass = await rt.services.authenticators.issue(admin, expiring.id, {
      type: 'access_pass',
      minutes: 30,
    });
    const newPass = await rt.services.authenticators.issue(admin, live.id, {
      type: 'access_pass',
      minutes: 50,
    });
    rt.clock.advance(40 * 60_000);
    expect(await runHousekeeping()).toMatchObject({ accessPasses: 1 });
    expect(await rt.services.authenticators.get(oldPass.id)).toMatchObject({ state: 'revoked' });
    expect(await rt.services.authenticators.get(newPass.id)).toMatchObject({ state: 'pending' });
    const events = await rt.services.audit.forSubject(expiring.id);
    const revoked = events.find((e) => e.action === 'authenticator.revoked');
    expect(revoked).toMatchObject({
      actor: 'system:housekeeping',
      details: expect.objectContaining({
        authenticatorId: oldPass.id,
        from: 'pending',
        to: 'revoked',
        reason: 'expired',
      }),
    });
    // The pass's code no longer redeems, and a second run finds nothing more to do.
    expect(await rt.services.authenticators.redeemAccessPass(expiring.id, String(oldPass.code), admin)).toBe(
      false,
    );
    expect(await runHousekeeping()).toMatchObject({ accessPasses: 0 });
  });

  it('works in bounded batches and continues in a new job when the time budget runs out', async () => {
    for (let n = 0; n < 5; n++) await queueMail(`batch-${n}@example.org`, `batch ${n}`);
    await drainJobs(rt);
    rt.clock.advance(15 * DAY);
    const small = new HousekeepingService(rt.ctx, rt.services.jobs, { batchSize: 2, budgetMs: 60_000 });
    const all = await runHousekeeping(small);
    expect(all.outbox).toBeGreaterThanOrEqual(5);
    expect(await count('outbox')).toBe(0);

    const budget = [];
    for (let n = 0; n < 5; n++) budget.push(await queueMail(`budget-${n}@example.org`, `budget ${n}`));
    await drainJobs(rt);
    rt.clock.advance(15 * DAY);
    const hurried = new HousekeepingService(rt.ctx, rt.services.jobs, { batchSize: 2, budgetMs: -1 });
    const runId = `run-${rt.clock.now()}`;
    const first = await runHousekeeping(hurried);
    // One batch, then the budget is spent: the rest waits for the continuation, due at once.
    expect(first.jobs).toBe(2);
    const continuation = await rt.services.jobs.list({ kind: HOUSEKEEPING, state: 'queued' });
    expect(continuation.map((j) => j.idempotencyKey)).toContain(`${HOUSEKEEPING}:after:${runId}`);
    await drainJobs(rt);
    expect((await rt.services.outbox.list(500)).filter((m) => m.to.startsWith('budget-'))).toEqual([]);
    for (const mail of budget) {
      await expect(rt.services.jobs.get(mail.jobId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    }
  });

  it('is one job per hourly slot across instances, and each run queues the next', async () => {
    const one = await createTestRuntime(dialect);
    const other = await createTestRuntime(dialect, { db: one.db, clock: one.clock });
    try {
      // Every instance schedules at start (SQLite: one writer at a time, so one after the other).
      await one.services.housekeeping.schedule();
      await other.services.housekeeping.schedule();
      await one.services.housekeeping.schedule();
      const queued = await one.services.jobs.list({ kind: HOUSEKEEPING });
      expect(queued).toHaveLength(1);
      expect(queued[0]!.state).toBe('queued');
      const slot = Date.parse(queued[0]!.runAt);
      expect(slot % HOUR).toBe(0);
      expect(slot).toBeGreaterThan(one.clock.now());
      expect(slot - one.clock.now()).toBeLessThanOrEqual(HOUR);

      one.clock.set(slot);
      expect(await other.services.jobs.worker({ workerId: 'other-instance' }).runOnce()).toBe(1);
      expect((await one.services.jobs.get(queued[0]!.id)).state).toBe('done');
      const next = await one.services.jobs.list({ kind: HOUSEKEEPING, state: 'queued' });
      expect(next.map((j) => Date.parse(j.runAt))).toEqual([slot + HOUR]);
    } finally {
      await other.dispose();
      await one.dispose();
    }
  });
});
