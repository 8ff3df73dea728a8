import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../test/support/databases.js';
import { createPerson } from '../../test/support/people.js';
import { createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { hashPassword, verifyPassword } from '../crypto/passwords.js';

/** One sample line of the text format: name, optional labels, a value (NaN/Inf any case, as Go parses it). */
const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.eE+-]+|nan|[+-]inf)$/i;

/** Parses Prometheus text; throws on any line that is neither a comment nor a sample. */
function parse(text: string): Array<{ name: string; labels: string; value: number }> {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((line) => {
      const m = SAMPLE.exec(line);
      if (!m) throw new Error(`not a sample: ${line}`);
      return { name: m[1]!, labels: m[2] ?? '', value: Number(m[3]) };
    });
}

const FRICTION = [
  'portcullis_people',
  'portcullis_enrolment_completion_ratio',
  'portcullis_time_to_enrol_seconds',
  'portcullis_factors',
  'portcullis_phishing_resistant_ratio',
  'portcullis_resets_per_100_people_30d',
  'portcullis_failed_verifications',
  'portcullis_throttled_accounts',
  'portcullis_jobs',
  'portcullis_audit_events',
  'portcullis_coverage_ratio',
  'portcullis_resets_helpdesk_assisted_ratio',
  'portcullis_enrolment_requirements',
  'portcullis_policy_exceptions',
  'portcullis_recovery_requests',
];

describe('GET /metrics', () => {
  let rt: TestRuntime;
  let admin: string;

  beforeAll(async () => {
    rt = await createTestRuntime('sqlite');
    admin = await rt.token('admin');
    const alice = await createPerson(rt, 'alice');
    const app = await rt.app();
    // A request whose URL holds an id: the histogram must label it by the route pattern.
    const res = await app.inject({
      method: 'GET',
      url: `/api/v1/users/${alice.id}/authenticators`,
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(res.statusCode).toBe(200);
  });
  afterAll(async () => rt?.dispose());

  it('answers Prometheus text whose every name starts with portcullis_', async () => {
    const res = await (await rt.app()).inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parse(res.body);
    expect(samples.length).toBeGreaterThan(20);
    for (const s of samples) expect(s.name).toMatch(/^portcullis_/);
    const names = new Set(samples.map((s) => s.name));
    // Declared even while empty (no enrolment yet has no quantiles to show).
    for (const name of FRICTION) expect(res.body).toContain(`# TYPE ${name} gauge`);
    expect(names).toContain('portcullis_enrolment_completion_ratio');
    expect(names).toContain('portcullis_process_cpu_user_seconds_total');
    const people = samples.find((s) => s.name === 'portcullis_people' && s.labels.includes('"active"'));
    expect(people?.value).toBe(1);
  });

  it('exposes every metric the example Grafana dashboard queries', async () => {
    const body = (await (await rt.app()).inject({ method: 'GET', url: '/metrics' })).body;
    const declared = new Set([...body.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    const dashboard = readFileSync(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8');
    const used = new Set([...dashboard.matchAll(/portcullis_\w+/g)].map((m) => m[0]));
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) expect(declared, name).toContain(name.replace(/_(bucket|count|sum)$/, ''));
  });

  it('counts the argon2id hashes and verifies this process started', async () => {
    const counts = async () => {
      const body = (await (await rt.app()).inject({ method: 'GET', url: '/metrics' })).body;
      expect(body).toContain('# TYPE portcullis_password_hashing_total counter');
      const samples = parse(body).filter((s) => s.name === 'portcullis_password_hashing_total');
      return Object.fromEntries(samples.map((s) => [s.labels, s.value]));
    };
    const before = await counts();
    const hashed = await hashPassword('a password of ours');
    expect(await verifyPassword(hashed, 'a password of ours')).toBe(true);
    expect(await verifyPassword(hashed, 'another')).toBe(false);
    const after = await counts();
    expect(after['{op="hash"}']! - before['{op="hash"}']!).toBe(1);
    expect(after['{op="verify"}']! - before['{op="verify"}']!).toBe(2);
  });

  it('labels request durations by route pattern, never the raw URL', async () => {
    const body = (await (await rt.app()).inject({ method: 'GET', url: '/metrics' })).body;
    const series = parse(body).filter((s) => s.name === 'portcullis_http_request_duration_seconds_count');
    expect(series.map((s) => s.labels)).toContainEqual(
      '{method="GET",route="/api/v1/users/:id/authenticators",status="200"}',
    );
    expect(body).not.toMatch(/route="\/api\/v1\/users\/[^:]/);
  });

  it('serves the dashboard snapshot to admins and auditors only', async () => {
    const app = await rt.app();
    const get = async (role: string) =>
      app.inject({
        method: 'GET',
        url: '/api/v1/metrics/dashboard',
        headers: { authorization: `Bearer ${await rt.token(role)}` },
      });
    const res = await get('auditor');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ people: { active: 1 }, enrolment: { overall: { invited: 1 } } });
    expect((await get('helpdesk')).statusCode).toBe(403);
  });
});

describe('GET /metrics with PORTCULLIS_METRICS_TOKEN', () => {
  let rt: TestRuntime;
  const token = 'scrape-token-0123456789';
  beforeAll(async () => {
    rt = await createTestRuntime('sqlite', { env: { PORTCULLIS_METRICS_TOKEN: token } });
  });
  afterAll(async () => rt?.dispose());

  it('needs the bearer token', async () => {
    const app = await rt.app();
    const without = await app.inject({ method: 'GET', url: '/metrics' });
    expect(without.statusCode).toBe(401);
    expect(without.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    const wrong = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.statusCode).toBe(401);
    const right = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(right.statusCode).toBe(200);
    expect(right.body).toContain('portcullis_people');
  });
});

const DAY = 86_400_000;

describe.each(DIALECTS)('the workload gauges on %s', (dialect) => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
  });
  afterAll(async () => rt?.dispose());

  /** The samples of one gauge as label → value. */
  async function gauge(name: string): Promise<Record<string, number>> {
    const body = (await (await rt.app()).inject({ method: 'GET', url: '/metrics' })).body;
    return Object.fromEntries(
      parse(body)
        .filter((s) => s.name === name)
        .map((s) => [/"([^"]*)"/.exec(s.labels)![1]!, s.value]),
    );
  }

  it('counts requirements (open, overdue), exceptions (active, expiring, overdue) and recovery requests by state', async () => {
    const test = { label: 'test' };
    const person = (username: string, groups: string[] = []) =>
      rt.services.identity.create(test, { username, email: `${username}@example.org`, groups });
    const grant = (days: number) =>
      rt.services.policies.exceptions.grant(test, {
        groupName: 'sales',
        waives: { aal: 1 },
        owner: 'it-security',
        reason: 'trade fair',
        expiresAt: new Date(rt.clock.now() + days * DAY).toISOString(),
      });
    // One joiner requirement and one exception that both run out.
    const early = await person('early-eve', ['sales']);
    await grant(1);
    const [deadline] = (await rt.services.lifecycle.requirementsOf(early.id)).map((r) =>
      Date.parse(r.deadline),
    );
    rt.clock.advance(deadline! - rt.clock.now() + 1000);
    await person('late-liz', ['sales']);
    await grant(3);
    await grant(20);
    // Recovery requests: privileged people (group admins) wait for an approver.
    const desk = { label: 'token:desk(helpdesk)', name: 'desk', role: 'helpdesk' as const };
    const approver = { label: 'token:anna(approver)', name: 'anna', role: 'approver' as const };
    const open = async (username: string, groups: string[]) =>
      rt.services.recovery.open(desk, {
        userId: (await person(username, groups)).id,
        proofingMethod: 'video_call',
      });
    await open('lapsed-lou', ['admins']);
    rt.clock.advance(DAY + 1000);
    await open('waiting-wes', ['admins']);
    await open('quick-quin', []);
    await rt.services.recovery.reject(approver, (await open('no-nick', ['admins'])).id, 'not proofed');

    // Six requirements opened (one per person); early-eve's deadline passed.
    expect(await gauge('portcullis_enrolment_requirements')).toEqual({ open: 5, overdue: 1 });
    expect(await gauge('portcullis_policy_exceptions')).toEqual({ active: 2, expiring: 1, overdue: 1 });
    expect(await gauge('portcullis_recovery_requests')).toEqual({
      expired: 1,
      open: 1,
      approved: 1,
      rejected: 1,
    });
  });
});
