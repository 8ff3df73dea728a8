import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { issueHotp, issueTotp } from './support/people.js';
import type { TestRuntime } from './support/runtime.js';
import { authorize, Browser, listeningRuntime, relyingParty } from './support/sso.js';

const AAL2 = 'http://idmanagement.gov/ns/assurance/aal/2';
const AAL3 = 'http://idmanagement.gov/ns/assurance/aal/3';
const DAY = 24 * 60 * 60 * 1000;

/** The sign-in and the validation API ask the policy evaluator what is required (issue 5). */
describe.each(DIALECTS)('policy enforced at sign-in and validation on %s', (dialect) => {
  let rt: TestRuntime & { url: string };
  let admin: string;
  let approver: string;
  let rp: Awaited<ReturnType<typeof relyingParty>>;

  const api = (token: string, method: 'GET' | 'POST', url: string, payload?: object) =>
    fetch(`${rt.url}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(payload ? { 'content-type': 'application/json' } : {}),
      },
      body: payload ? JSON.stringify(payload) : undefined,
    });
  const person = (username: string, groups: string[]) =>
    rt.services.identity.create(
      { label: 'test' },
      { username, email: `${username}@example.org`, password: `${username} password 1`, groups },
    );
  async function passwordStep(username: string, client = rp) {
    const req = await authorize(client);
    const browser = new Browser(rt.url);
    const next = await browser.submit(await browser.go(req.url), 'password', {
      username,
      password: `${username} password 1`,
    });
    return { req, browser, next };
  }

  beforeAll(async () => {
    rt = await listeningRuntime(dialect);
    admin = await rt.token('admin');
    approver = await rt.token('approver');
    rp = await relyingParty(rt);
    const res = await api(admin, 'POST', '/api/v1/policies', {
      name: 'secure-ops-aal3',
      targetKind: 'group',
      target: 'secure-ops',
      rules: { aal: 3 },
    });
    expect(res.status).toBe(201);
  });
  afterAll(() => rt.dispose());

  it('a person whose group requires AAL3 and who has no passkey is refused: unmet_authentication_requirements', async () => {
    const p = await person('pol-sam', ['secure-ops']);
    await issueTotp(rt, p.id, admin);
    const { next } = await passwordStep('pol-sam');
    expect(next.status).toBe(303);
    const back = new URL(next.location!);
    expect(back.pathname).toBe('/cb');
    expect(back.searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect(back.searchParams.get('code')).toBeNull();
    const failed = (await rt.services.audit.forSubject(p.id)).find((e) => e.action === 'sso.sign_in_failed');
    expect(failed?.details).toMatchObject({ reason: 'unmet_authentication_requirements', requiredAcr: AAL3 });
  });

  it('the same person signs in at AAL2 while an exception waives the level, and its use is audited', async () => {
    const p = await person('pol-tia', ['secure-ops']);
    const t = await issueTotp(rt, p.id, admin);
    const granted = await api(approver, 'POST', '/api/v1/exceptions', {
      userId: p.id,
      waives: { aal: 2 },
      owner: 'pol-tia',
      reason: 'security key on order',
      expiresAt: new Date(rt.clock.now() + 5 * DAY).toISOString(),
    });
    expect(granted.status).toBe(201);
    const { req, browser, next } = await passwordStep('pol-tia');
    expect(next.body).toContain('autocomplete="one-time-code"');
    const back = await browser.submit(next, 'otp', { code: t.code() });
    expect((await req.finish(back.location!)).claims()!.acr).toBe(AAL2);
    const actions = (await rt.services.audit.forSubject(p.id)).map((e) => e.action);
    expect(actions).toContain('policy.exception_used');
    // At expiry, with no sweep run, the waiver is gone.
    rt.clock.advance(5 * DAY);
    const again = await passwordStep('pol-tia');
    expect(new URL(again.next.location!).searchParams.get('error')).toBe('unmet_authentication_requirements');
    rt.clock.advance(-5 * DAY);
  });

  it('an application policy applies to that application only', async () => {
    const other = await relyingParty(rt, { name: 'Payroll' });
    await api(admin, 'POST', '/api/v1/policies', {
      name: 'payroll-passkeys',
      targetKind: 'client',
      target: other.clientId,
      rules: { allowedTypes: ['webauthn'] },
    });
    const p = await person('pol-uma', []);
    const t = await issueTotp(rt, p.id, admin);
    const refused = await passwordStep('pol-uma', other);
    expect(new URL(refused.next.location!).searchParams.get('error')).toBe(
      'unmet_authentication_requirements',
    );
    const { req, browser, next } = await passwordStep('pol-uma');
    const back = await browser.submit(next, 'otp', { code: t.code() });
    expect((await req.finish(back.location!)).claims()!.sub).toBe(p.id);
  });

  it("at an application's sign-in only the OTP types that application's policy counts are accepted", async () => {
    const app = await relyingParty(rt, { name: 'Ledger' });
    await api(admin, 'POST', '/api/v1/policies', {
      name: 'ledger-totp-only',
      targetKind: 'client',
      target: app.clientId,
      rules: { allowedTypes: ['totp'] },
    });
    const p = await person('pol-lea', []);
    const h = await issueHotp(rt, p.id, admin);
    const t = await issueTotp(rt, p.id, admin);
    const { req, browser, next } = await passwordStep('pol-lea', app);
    const refused = await browser.submit(next, 'otp', { code: h.code(0) });
    expect(refused.location).toBeNull();
    expect(refused.body).toContain('That code did not work');
    const back = await browser.submit(refused, 'otp', { code: t.code() });
    expect((await req.finish(back.location!)).claims()!.sub).toBe(p.id);
  });

  it("a session from another application below this one's policy level signs in again", async () => {
    const strict = await relyingParty(rt, { name: 'Vault' });
    await api(admin, 'POST', '/api/v1/policies', {
      name: 'vault-aal3',
      targetKind: 'client',
      target: strict.clientId,
      rules: { aal: 3 },
    });
    const p = await person('pol-wes', []);
    const t = await issueTotp(rt, p.id, admin);
    const { req, browser, next } = await passwordStep('pol-wes');
    const back = await browser.submit(next, 'otp', { code: t.code() });
    expect((await req.finish(back.location!)).claims()!.acr).toBe(AAL2);
    // Same browser, same session, the AAL3 application: no code at AAL2, the sign-in pages instead.
    const vault = await browser.go((await authorize(strict)).url);
    expect(vault.location ?? '').not.toContain('code=');
    expect(vault.body).toContain('autocomplete="current-password"');
  });

  it('the validation API accepts only the types the policy lets count (default: every OTP type)', async () => {
    const validator = await rt.token('validator');
    const free = await person('pol-val', []);
    const strict = await person('pol-vic', ['totp-only']);
    await api(admin, 'POST', '/api/v1/policies', {
      name: 'totp-only',
      targetKind: 'group',
      target: 'totp-only',
      rules: { allowedTypes: ['totp'] },
    });
    const validate = async (username: string, code: string) =>
      (
        (await (await api(validator, 'POST', '/api/v1/validate', { username, code })).json()) as {
          result: string;
        }
      ).result;
    const h1 = await issueHotp(rt, free.id, admin);
    const h2 = await issueHotp(rt, strict.id, admin);
    expect(await validate('pol-val', h1.code(0))).toBe('accept');
    expect(await validate('pol-vic', h2.code(0))).toBe('reject');
    const t = await issueTotp(rt, strict.id, admin);
    expect(await validate('pol-vic', t.code())).toBe('accept');
  });
});
