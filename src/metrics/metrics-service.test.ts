import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../test/support/databases.js';
import { createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { decodeBase32, totp } from '../authenticators/otp/index.js';
import { drainJobs } from '../../test/support/lifecycle.js';
import type { DashboardSnapshot } from './dashboard-snapshot.js';
import { METRICS_COMPACT, METRICS_COMPACT_SLOT_MS } from './metrics-compaction.js';

const actor = { label: 'test' };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T = Date.UTC(2026, 10, 28, 12, 0, 0);
const OTP = { algorithm: 'SHA1', digits: 6, period: 30 } as const;

/**
 * A small history built through the services on a manual clock, whose figures are written out
 * by hand below: 5 people (eng: alice, bob, erin; sales: carol, dave), erin a leaver.
 */
describe.each(DIALECTS)('friction figures on %s', (dialect) => {
  let rt: TestRuntime;
  let s: DashboardSnapshot;

  beforeAll(async () => {
    rt = await createTestRuntime(dialect, { env: { PORTCULLIS_THROTTLE_FREE_FAILURES: '3' } });
    const { identity, authenticators: auth, validation } = rt.services;
    rt.clock.set(T - 10 * DAY);
    const person = async (username: string, group: string) =>
      (await identity.create(actor, { username, groups: [group] })).id;
    const alice = await person('alice', 'eng');
    const bob = await person('bob', 'eng');
    const carol = await person('carol', 'sales');
    await person('dave', 'sales');
    const erin = await person('erin', 'eng');
    const totpOf = async (userId: string) => {
      const issued = await auth.issue(actor, userId, { type: 'totp' });
      return { id: issued.id, secret: decodeBase32(issued.secret as string) };
    };
    const a = await totpOf(alice);
    const b = await totpOf(bob);
    await totpOf(carol); // started, never activated
    const codes = (await auth.issue(actor, alice, { type: 'recovery_codes' })).codes as string[];
    await identity.deactivate(actor, erin);

    rt.clock.set(T - 10 * DAY + 2 * HOUR); // alice enrols after 2 h
    expect((await validation.validate(actor, 'alice', totp(a.secret, rt.clock.now(), OTP))).result).toBe(
      'accept',
    );
    rt.clock.set(T - 10 * DAY + 26 * HOUR); // bob after 26 h
    expect((await validation.validate(actor, 'bob', totp(b.secret, rt.clock.now(), OTP))).result).toBe(
      'accept',
    );

    rt.clock.set(T - 3 * DAY); // one wrong code from carol (7 days, not 24 h)
    expect((await validation.validate(actor, 'carol', '000000')).result).toBe('reject');
    rt.clock.set(T - 2 * DAY); // alice recovers alone
    expect(await auth.redeemRecoveryCode(alice, codes[0]!, actor)).toBe(true);
    rt.clock.set(T - 1 * DAY); // bob loses his phone; carol gets an access pass from the help desk
    await auth.markLost(actor, b.id, 'phone lost');
    const pass = (await auth.issue(actor, carol, { type: 'access_pass' })).code as string;
    expect(await auth.redeemAccessPass(carol, pass, actor)).toBe(true);

    rt.clock.set(T); // dave tries three wrong codes and is throttled
    for (let i = 0; i < 3; i++) await validation.validate(actor, 'dave', '123456');
    s = await rt.services.metrics.compute();
  });
  afterAll(async () => rt?.dispose());

  it('counts people by status and joiners week over week', () => {
    expect(s.people.byStatus).toEqual({ active: 4, deprovisioned: 1 });
    expect(s.people.joinersWeekOverWeek).toEqual({ current: 0, previous: 5 });
  });

  it('computes the enrolment funnel and coverage, overall and per group', () => {
    expect(s.enrolment.overall).toEqual({
      group: '',
      invited: 4,
      started: 3,
      completed: 1,
      completionRatio: 0.25,
    });
    expect(s.enrolment.byGroup).toEqual([
      { group: 'eng', invited: 2, started: 2, completed: 1, completionRatio: 0.5 },
      { group: 'sales', invited: 2, started: 1, completed: 0, completionRatio: 0 },
    ]);
    expect(s.coverage.ratio).toBe(0.25);
    expect(s.coverage.byGroup.map((g) => [g.group, g.covered, g.people])).toEqual([
      ['eng', 1, 2],
      ['sales', 0, 2],
    ]);
  });

  it('computes time to enrol: median, p90 and cumulative hour buckets', () => {
    expect(s.timeToEnrol.count).toBe(2);
    expect(s.timeToEnrol.medianSeconds).toBe(2 * 3600);
    expect(s.timeToEnrol.p90Seconds).toBe(26 * 3600);
    expect(s.timeToEnrol.buckets.map((b) => [b.leHours, b.count])).toEqual([
      [1, 0],
      [4, 1],
      [24, 1],
      [72, 2],
      [168, 2],
      [336, 2],
      [null, 2],
    ]);
  });

  it('computes resets per 100 people over 30 days and the help-desk share', () => {
    expect(s.resets.byAction).toEqual({
      'recovery_code.redeemed': 1,
      'access_pass.redeemed': 1,
      'authenticator.lost': 1,
    });
    expect(s.resets.last30d).toBe(3);
    expect(s.resets.per100People30d).toBe(75);
    expect(s.resets.helpdeskAssistedShare).toBeCloseTo(2 / 3, 10);
    expect(s.resets.weekOverWeek).toEqual({ current: 3, previous: 0 });
  });

  it('computes the factor mix and the phishing-resistant share', () => {
    const mix = Object.fromEntries(s.factors.byTypeState.map((f) => [`${f.type}/${f.state}`, f.count]));
    expect(mix).toEqual({
      'totp/active': 1,
      'totp/lost': 1,
      'totp/pending': 1,
      'recovery_codes/active': 1,
      'access_pass/revoked': 1,
    });
    expect(s.factors.activeByType).toEqual({ totp: 1, hotp: 0, webauthn: 0 });
    expect(s.factors.phishingResistantRatio).toBe(0);
  });

  it('counts failed verifications in windows and throttled accounts', () => {
    expect(s.failures.last24h).toEqual({ current: 3, previous: 0 });
    expect(s.failures.last7d).toEqual({ current: 4, previous: 0 });
    expect(s.failures.byAction7d['validation.rejected']).toBe(4);
    expect(s.failures.throttledAccounts).toBe(1);
  });

  it('counts audit events from the chain head', async () => {
    expect(s.auditEvents).toBeGreaterThan(15);
    expect(await rt.services.audit.verify()).toEqual({ ok: true, count: s.auditEvents });
  });

  it('keeps every figure when the compaction job folds the tallies, and queues its next run', async () => {
    const pending = async () =>
      Number(
        (
          await rt.ctx.store.db
            .selectFrom('metrics_funnel_delta')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(await pending()).toBeGreaterThan(0);
    await rt.services.metricsCompaction.schedule();
    rt.clock.advance(METRICS_COMPACT_SLOT_MS);
    await drainJobs(rt);
    expect(await pending()).toBe(0);
    const done = await rt.services.jobs.list({ kind: METRICS_COMPACT, state: 'done' });
    expect(done).toHaveLength(1);
    expect(await rt.services.jobs.list({ kind: METRICS_COMPACT, state: 'queued' })).toHaveLength(1);
    const after = await rt.services.metrics.compute(T);
    expect([after.people, after.enrolment, after.coverage, after.factors, after.timeToEnrol]).toEqual([
      s.people,
      s.enrolment,
      s.coverage,
      s.factors,
      s.timeToEnrol,
    ]);
  });

  it('serves a cached snapshot within the TTL and a fresh one after it', async () => {
    const first = await rt.services.metrics.snapshot();
    await rt.services.identity.create(actor, { username: 'frank' });
    expect((await rt.services.metrics.snapshot()).people.active).toBe(first.people.active);
    rt.clock.advance(15_001);
    expect((await rt.services.metrics.snapshot()).people.active).toBe(first.people.active + 1);
  });
});
