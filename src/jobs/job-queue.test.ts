import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../test/support/databases.js';
import { createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { signal } from '../../test/support/signal.js';
import { PermanentJobError } from './job-types.js';

/** The queue and the worker on both dialects, driven by a ManualClock and `runOnce()`. */
describe.each(DIALECTS)('job queue on %s', (dialect) => {
  let rt: TestRuntime;
  const jobs = () => rt.services.jobs;
  const countOf = async (kind: string) =>
    Number(
      (
        await rt.ctx.store.db
          .selectFrom('jobs')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('kind', '=', kind)
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
  });
  afterAll(async () => rt?.dispose());

  it('a job enqueued in a transaction that rolls back never exists; one that commits does', async () => {
    await expect(
      rt.ctx.store.transaction(async (trx) => {
        await jobs().enqueue(trx, { kind: 'rollback-probe', payload: { n: 1 } });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await countOf('rollback-probe')).toBe(0);
    await rt.ctx.store.transaction((trx) =>
      jobs().enqueue(trx, { kind: 'rollback-probe', payload: { n: 2 } }),
    );
    expect(await countOf('rollback-probe')).toBe(1);
  });

  it('an idempotency key yields one job, even when enqueued concurrently', async () => {
    const first = await jobs().enqueue(rt.ctx.store.db, {
      kind: 'idem',
      payload: { n: 1 },
      idempotencyKey: 'k-1',
    });
    const again = await rt.ctx.store.transaction((trx) =>
      jobs().enqueue(trx, { kind: 'idem', payload: { n: 2 }, idempotencyKey: 'k-1' }),
    );
    expect(first.created).toBe(true);
    expect(again).toEqual({ id: first.id, created: false });
    const racing = await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        rt.ctx.store.transaction((trx) =>
          jobs().enqueue(trx, { kind: 'idem', payload: { n }, idempotencyKey: 'k-2' }),
        ),
      ),
    );
    expect(racing.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(racing.map((r) => r.id)).size).toBe(1);
    expect(await countOf('idem')).toBe(2);
    expect((await jobs().get(first.id)).payload).toEqual({ n: 1 });
  });

  it('enqueues in bulk across insert batches, skipping taken keys, all or nothing', async () => {
    const specs = Array.from({ length: 1_200 }, (_, n) => ({
      kind: 'bulk',
      payload: { n },
      idempotencyKey: `bulk-${n % 1_100}`,
    }));
    expect(await rt.ctx.store.transaction((trx) => jobs().enqueueMany(trx, specs))).toBe(1_100);
    expect(await rt.ctx.store.transaction((trx) => jobs().enqueueMany(trx, specs.slice(0, 10)))).toBe(0);
    await expect(
      rt.ctx.store.transaction(async (trx) => {
        await jobs().enqueueMany(trx, [{ kind: 'bulk', payload: {}, idempotencyKey: 'bulk-new' }]);
        throw new Error('the wave failed');
      }),
    ).rejects.toThrow('the wave failed');
    expect(await countOf('bulk')).toBe(1_100);
  });

  it('runs a due job once and records it done', async () => {
    const seen: unknown[] = [];
    const worker = jobs()
      .worker({ workerId: 'w-ok' })
      .register('echo', async (payload, run) => {
        seen.push({ payload, attempt: run.attempt });
      });
    const later = await jobs().enqueue(rt.ctx.store.db, {
      kind: 'echo',
      payload: { n: 'later' },
      runAt: rt.clock.now() + 5_000,
    });
    const now = await jobs().enqueue(rt.ctx.store.db, { kind: 'echo', payload: { n: 'now' } });
    expect(await worker.runOnce()).toBe(1);
    expect(await worker.runOnce()).toBe(0);
    expect(seen).toEqual([{ payload: { n: 'now' }, attempt: 1 }]);
    expect(await jobs().get(now.id)).toMatchObject({ state: 'done', attempts: 1, lockedBy: null });
    rt.clock.advance(5_000);
    expect(await worker.runOnce()).toBe(1);
    expect((await jobs().get(later.id)).state).toBe('done');
  });

  it('a failing handler is retried with exponential back-off, then the job is dead (audited)', async () => {
    let calls = 0;
    const worker = jobs()
      .worker({ workerId: 'w-fail' })
      .register('always-fails', async () => {
        calls += 1;
        throw new Error('receiver down');
      });
    const { id } = await jobs().enqueue(rt.ctx.store.db, {
      kind: 'always-fails',
      payload: {},
      maxAttempts: 3,
    });

    expect(await worker.runOnce()).toBe(1);
    let job = await jobs().get(id);
    expect(job).toMatchObject({ state: 'queued', attempts: 1, lastError: 'receiver down' });
    expect(Date.parse(job.runAt)).toBe(rt.clock.now() + 30_000);

    rt.clock.advance(29_999);
    expect(await worker.runOnce()).toBe(0);
    rt.clock.advance(1);
    expect(await worker.runOnce()).toBe(1);
    job = await jobs().get(id);
    expect(job).toMatchObject({ state: 'queued', attempts: 2 });
    expect(Date.parse(job.runAt)).toBe(rt.clock.now() + 60_000);

    rt.clock.advance(60_000);
    expect(await worker.runOnce()).toBe(1);
    job = await jobs().get(id);
    expect(job).toMatchObject({ state: 'dead', attempts: 3 });
    expect(job.doneAt).not.toBeNull();
    rt.clock.advance(24 * 3_600_000);
    expect(await worker.runOnce()).toBe(0);
    expect(calls).toBe(3);
    const events = await rt.services.audit.forSubject(id);
    expect(events.map((e) => [e.action, e.outcome])).toEqual([['job.dead', 'failure']]);
  });

  it('a permanent error or a malformed payload fails the job at once', async () => {
    const worker = jobs()
      .worker({ workerId: 'w-perm' })
      .register('hopeless', async () => {
        throw new PermanentJobError('the target is gone');
      });
    const { id } = await jobs().enqueue(rt.ctx.store.db, { kind: 'hopeless', payload: {} });
    expect(await worker.runOnce()).toBe(1);
    expect(await jobs().get(id)).toMatchObject({
      state: 'failed',
      attempts: 1,
      lastError: 'the target is gone',
    });
    expect((await rt.services.audit.forSubject(id)).map((e) => e.action)).toEqual(['job.failed']);

    const bad = await jobs().enqueue(rt.ctx.store.db, { kind: 'hopeless', payload: {} });
    await rt.ctx.store.db
      .updateTable('jobs')
      .set({ payload: '{not json' })
      .where('id', '=', bad.id)
      .execute();
    expect(await worker.runOnce()).toBe(1);
    expect((await jobs().get(bad.id)).state).toBe('failed');
  });

  it("a crashed worker's lease expires and another worker picks the job up", async () => {
    const ran: string[] = [];
    const { id } = await jobs().enqueue(rt.ctx.store.db, { kind: 'lease-probe', payload: {} });
    // The first worker claims the job and dies without finishing it.
    const [held] = await jobs().queue.claim('crashed', ['lease-probe'], {
      limit: 5,
      leaseMs: 60_000,
      now: rt.clock.now(),
    });
    expect(held?.id).toBe(id);
    expect(await jobs().get(id)).toMatchObject({ state: 'running', lockedBy: 'crashed' });

    const survivor = jobs()
      .worker({ workerId: 'survivor', leaseMs: 60_000 })
      .register('lease-probe', async (_p, run) => {
        ran.push(`${run.id}#${run.attempt}`);
      });
    expect(await survivor.runOnce()).toBe(0);
    rt.clock.advance(60_001);
    expect(await survivor.runOnce()).toBe(1);
    expect(ran).toEqual([`${id}#2`]);
    expect(await jobs().get(id)).toMatchObject({ state: 'done', attempts: 2 });
    // The first worker coming back to life can no longer record anything for it.
    expect(await jobs().queue.complete(held!, rt.clock.now())).toBe(false);
    expect(await jobs().queue.fail(held!, new Error('late'), rt.clock.now())).toBeUndefined();
    expect((await jobs().get(id)).state).toBe('done');
  });

  it('a stale lease cannot complete or fail a job another worker now holds', async () => {
    const { id } = await jobs().enqueue(rt.ctx.store.db, { kind: 'fenced', payload: {} });
    const claim = (worker: string) =>
      jobs().queue.claim(worker, ['fenced'], { limit: 1, leaseMs: 1_000, now: rt.clock.now() });
    const [stale] = await claim('slow-worker');
    rt.clock.advance(1_001);
    await jobs().queue.sweepExpiredLeases(rt.clock.now());
    const [current] = await claim('fresh-worker');
    expect(current?.id).toBe(id);
    expect(await jobs().queue.complete(stale!, rt.clock.now())).toBe(false);
    expect(await jobs().queue.fail(stale!, new Error('late'), rt.clock.now())).toBeUndefined();
    expect(await jobs().get(id)).toMatchObject({ state: 'running', lockedBy: 'fresh-worker', attempts: 2 });
    expect(await jobs().queue.complete(current!, rt.clock.now())).toBe(true);
  });

  it('a job whose workers keep dying runs out of attempts', async () => {
    const { id } = await jobs().enqueue(rt.ctx.store.db, { kind: 'poison', payload: {}, maxAttempts: 2 });
    for (const worker of ['crash-1', 'crash-2']) {
      const claimed = await jobs().queue.claim(worker, ['poison'], {
        limit: 1,
        leaseMs: 1_000,
        now: rt.clock.now(),
      });
      expect(claimed.map((j) => j.id)).toEqual([id]);
      rt.clock.advance(1_001);
      await jobs().queue.sweepExpiredLeases(rt.clock.now());
    }
    expect(await jobs().get(id)).toMatchObject({ state: 'dead', attempts: 2 });
    expect((await rt.services.audit.forSubject(id)).map((e) => e.action)).toEqual(['job.dead']);
  });

  it('start() polls for new jobs and stop() waits for the ones in flight', async () => {
    const released = signal();
    const running = signal();
    const worker = jobs()
      .worker({ workerId: 'w-loop', pollMs: 5 })
      .register('slow', async () => {
        running.send();
        await released.promise;
      });
    worker.start();
    const { id } = await jobs().enqueue(rt.ctx.store.db, { kind: 'slow', payload: {} });
    await running.promise;
    let stopped = false;
    const stopping = worker.stop().then(() => {
      stopped = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(stopped).toBe(false);
    expect((await jobs().get(id)).state).toBe('running');
    released.send();
    await stopping;
    expect((await jobs().get(id)).state).toBe('done');
  });
});
