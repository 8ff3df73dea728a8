import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { decodeBase32, totp } from '../../src/authenticators/otp/index.js';
import { JOINER_START_PASS } from '../../src/lifecycle/start-pass.js';
import type { Dialect } from './databases.js';
import { apiRequest, createTestRuntime, type TestRuntime } from './runtime.js';

/** Runs the job worker until nothing is due (mail, sweeps); returns how many jobs ran. */
export async function drainJobs(rt: TestRuntime): Promise<number> {
  const worker = rt.services.jobs.worker({ workerId: 'test-worker', concurrency: 8 });
  let total = 0;
  for (let n = await worker.runOnce(); n > 0; n = await worker.runOnce()) total += n;
  return total;
}

/** A form POST over app.inject, as a browser sends it. */
export function postForm(app: FastifyInstance, url: string, form: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(form).toString(),
  });
}

/** Reads the manual key off a QR page and returns a code generator for the new app. */
export function appFromQrPage(rt: TestRuntime, body: string): (steps?: number) => string {
  const key = /<code>([A-Z2-7 ]+)<\/code>/.exec(body)?.[1]?.replace(/ /g, '');
  expect(key, 'manual key on the page').toBeTruthy();
  const secret = decodeBase32(key!);
  return (steps = 0) =>
    totp(secret, rt.clock.now() + steps * 30_000, { algorithm: 'SHA1', digits: 6, period: 30 });
}

/** Enrols TOTP through an invitation link path (`/enroll/…`): landing, QR, confirm. Returns the final page. */
export async function enrolThroughLink(rt: TestRuntime, path: string) {
  const app = await rt.app();
  const landing = await app.inject({ method: 'GET', url: path });
  expect(landing.statusCode, landing.body).toBe(200);
  const qr = await postForm(app, `${path}/totp`);
  expect(qr.statusCode, qr.body).toBe(200);
  const code = appFromQrPage(rt, qr.body);
  const done = await postForm(app, `${path}/confirm`, { code: code() });
  return { landing, qr, done, code };
}

/**
 * Turns every lifecycle rule off, for tests that count what other services write (audit
 * events, jobs, mails) and must not see the joiner's requirement and invitation.
 */
export async function disableLifecycleRules(rt: TestRuntime): Promise<void> {
  await rt.ctx.store.db.updateTable('lifecycle_rules').set({ enabled: 0 }).execute();
}

/**
 * The start-date tests' runtime: on the controlled clock at `t0`, with an admin token, a default
 * policy (`name`, `rules`) set over the admin API, and a joiner rule (`rule`) for `groupName`
 * (null: everyone) that requires TOTP or WebAuthn and hands the manager a Temporary Access Pass
 * `daysBefore` days ahead of the start date.
 */
export async function dayOnePassRuntime(
  dialect: Dialect,
  t0: number,
  opts: {
    policy: { name: string; rules: Record<string, unknown> };
    rule: string;
    groupName: string | null;
    daysBefore: number;
  },
): Promise<{ rt: TestRuntime; admin: string }> {
  const rt = await createTestRuntime(dialect);
  try {
    rt.clock.set(t0);
    const admin = await rt.token('admin');
    const policy = await apiRequest(rt, admin, 'POST', '/policies', {
      ...opts.policy,
      targetKind: 'default',
    });
    expect(policy.statusCode, policy.body).toBe(201);
    await rt.services.lifecycle.rules.create(
      { label: 'test' },
      {
        name: opts.rule,
        trigger: 'joiner',
        groupName: opts.groupName,
        action: { require: ['totp', 'webauthn'], passToManagerDaysBefore: opts.daysBefore },
      },
    );
    return { rt, admin };
  } catch (err) {
    // The caller never gets the runtime to dispose of: its database goes now.
    await rt.dispose();
    throw err;
  }
}

/** Creates a person with POST /api/v1/users as `admin`; asserts 201 and returns the new id. */
export async function personOverApi(rt: TestRuntime, admin: string, body: Record<string, unknown>) {
  const res = await apiRequest(rt, admin, 'POST', '/users', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

/** When the day-one pass job of an enrolment requirement is due (ms), read from the jobs table. */
export async function passJobRunAt(rt: TestRuntime, requirementId: string): Promise<number> {
  const job = await rt.ctx.store.db
    .selectFrom('jobs')
    .select('run_at')
    .where('idempotency_key', '=', `${JOINER_START_PASS}:${requirementId}`)
    .executeTakeFirstOrThrow();
  return Number(job.run_at);
}
