import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { issueTotp } from './support/people.js';
import type { TestRuntime } from './support/runtime.js';
import { authorize, Browser, listeningRuntime, relyingParty, signInWithTotp } from './support/sso.js';

const AAL1 = 'http://idmanagement.gov/ns/assurance/aal/1';
const AAL2 = 'http://idmanagement.gov/ns/assurance/aal/2';
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Issue 5: the re-authentication interval and an AAL1 waiver, enforced by the sign-in end to end. */
describe.each(DIALECTS)('policy at sign-in: re-authentication and waivers on %s', (dialect) => {
  let rt: TestRuntime & { url: string };
  let admin: string;
  let approver: string;
  let rp: Awaited<ReturnType<typeof relyingParty>>;

  const api = async (token: string, method: 'GET' | 'POST', url: string, payload?: object) => {
    const res = await (await rt.app()).inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}` },
      payload,
    });
    return { status: res.statusCode, json: () => res.json() as Record<string, unknown> };
  };
  const person = (username: string) =>
    rt.services.identity.create(
      { label: 'test' },
      { username, email: `${username}@example.org`, password: `${username} password 1` },
    );
  const passwordStep = async (username: string, extra: Record<string, string> = {}) => {
    const req = await authorize(rp, extra);
    const browser = new Browser(rt.url);
    const next = await browser.submit(await browser.go(req.url), 'password', {
      username,
      password: `${username} password 1`,
    });
    return { req, next };
  };

  beforeAll(async () => {
    rt = await listeningRuntime(dialect);
    admin = await rt.token('admin');
    approver = await rt.token('approver');
    rp = await relyingParty(rt);
  });
  afterAll(() => rt.dispose());

  it("a session older than the client's reauthHours is not reused for that client; others still reuse it", async () => {
    const hourly = await relyingParty(rt, { name: 'Treasury' });
    const created = await api(admin, 'POST', '/api/v1/policies', {
      name: 'treasury-hourly',
      targetKind: 'client',
      target: hourly.clientId,
      rules: { reauthHours: 1 },
    });
    expect(created.status).toBe(201);
    const p = await person('ra-rex');
    const t = await issueTotp(rt, p.id, admin);
    const { browser } = await signInWithTotp(rt, rp, 'ra-rex', 'ra-rex password 1', () => t.code());
    const silent = async (client: typeof rp) =>
      (await browser.go((await authorize(client)).url)).location ?? '';

    // 40 minutes after signing in: the session is reused for both applications.
    rt.clock.advance(40 * MINUTE);
    expect(await silent(hourly)).toContain('code=');
    // 80 minutes after (used 40 minutes ago, so not idle): the other application still reuses it...
    rt.clock.advance(40 * MINUTE);
    expect(await silent(rp)).toContain('code=');
    // ...but the hourly one sends the person to the sign-in pages.
    const again = await browser.go((await authorize(hourly)).url);
    expect(again.location ?? '').not.toContain('code=');
    expect(again.body).toContain('autocomplete="current-password"');
    const required = (await rt.services.audit.forSubject(p.id)).filter(
      (e) => e.action === 'sso.reauth_required',
    );
    expect(required).toHaveLength(1);
    expect(required[0]!.details).toMatchObject({
      client: hourly.clientId,
      reauthHours: 1,
      decidedBy: [{ kind: 'policy', name: 'treasury-hourly' }],
    });

    // Signing in again there satisfies it: that new sign-in is reused for the next hour.
    const req = await authorize(hourly);
    const fresh = new Browser(rt.url);
    const second = await fresh.submit(await fresh.go(req.url), 'password', {
      username: 'ra-rex',
      password: 'ra-rex password 1',
    });
    const back = await fresh.submit(second, 'otp', { code: t.code(1) });
    expect(back.location).toContain('code=');
    rt.clock.advance(30 * MINUTE);
    expect((await fresh.go((await authorize(hourly)).url)).location ?? '').toContain('code=');
  });

  it('an exception waiving the level to AAL1 lets the person sign in with the password alone, audited as used', async () => {
    const p = await person('wv-willa');
    // No factor and the enrolment period over: without a waiver, sign-in is refused.
    rt.clock.advance(60 * DAY);
    const before = await passwordStep('wv-willa');
    expect(before.next.body).not.toContain('code=');
    expect(before.next.location ?? '').not.toContain('code=');

    const granted = await api(approver, 'POST', '/api/v1/exceptions', {
      userId: p.id,
      waives: { aal: 1 },
      owner: 'wv-willa',
      reason: 'no phone allowed on the shop floor',
      ticket: 'CHG-77',
      expiresAt: new Date(rt.clock.now() + 7 * DAY).toISOString(),
    });
    expect(granted.status).toBe(201);
    const { req, next } = await passwordStep('wv-willa');
    expect(next.location).toContain('code=');
    const claims = (await req.finish(next.location!)).claims()!;
    expect(claims.acr).toBe(AAL1);
    expect(claims.amr).toEqual(['pwd']);
    const events = await rt.services.audit.forSubject(p.id);
    const used = events.find((e) => e.action === 'policy.exception_used');
    expect(used?.details).toMatchObject({ client: rp.clientId, waived: { aal: 1 } });
    expect(events.find((e) => e.action === 'sso.signed_in')?.details).toMatchObject({ acr: AAL1 });

    // A client that asks for AAL2 itself (acr_values) is not lowered by the waiver.
    const strict = await passwordStep('wv-willa', { acr_values: AAL2 });
    expect(strict.next.location ?? '').not.toContain('code=');

    // explain shows the floor as policy data and the waiver that lowered it.
    const explained = await api(admin, 'GET', `/api/v1/policy/explain?user=wv-willa&client=${rp.clientId}`);
    expect(explained.status).toBe(200);
    const body = explained.json() as { requirement: { aal: number }; explanation: string[] };
    expect(body.requirement.aal).toBe(1);
    expect(body.explanation.find((l) => l.startsWith('aal = 1'))).toContain('instead of 2');
    rt.clock.advance(-60 * DAY);
  });

  it('explain names the built-in AAL2 floor when no policy or exception changes it', async () => {
    await person('wv-fern');
    const explained = await api(admin, 'GET', '/api/v1/policy/explain?user=wv-fern');
    const lines = (explained.json() as { explanation: string[] }).explanation;
    expect(lines.find((l) => l.startsWith('aal = 2'))).toContain('floor every sign-in needs');
  });
});
