import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBase32, totp } from '../src/authenticators/otp/index.js';
import { DIALECTS } from './support/databases.js';
import { issueTotp } from './support/people.js';
import type { TestRuntime } from './support/runtime.js';
import { authorize, Browser, listeningRuntime, relyingParty } from './support/sso.js';

/** The fields these tests read from API answers (problem+json, recovery requests, issued codes). */
interface Answer {
  id: string;
  code?: string;
  state?: string;
  codes?: string[];
  pass: { code: string; expiresAt: string } | null;
  [field: string]: unknown;
}

const AAL2 = 'http://idmanagement.gov/ns/assurance/aal/2';

/** Issue 5 item 3: the help-desk recovery journey end to end through HTTP. */
describe.each(DIALECTS)('help-desk recovery journey on %s', (dialect) => {
  let rt: TestRuntime & { url: string };
  let tokens: Record<'admin' | 'alice' | 'aliceApprover' | 'bob', string>;
  let rp: Awaited<ReturnType<typeof relyingParty>>;

  beforeAll(async () => {
    rt = await listeningRuntime(dialect);
    tokens = {
      admin: await rt.token('admin'),
      alice: await rt.token('helpdesk', 'alice'),
      // The same agent holding a second token of the approver role: still the same pair of eyes.
      aliceApprover: await rt.token('approver', 'alice'),
      bob: await rt.token('approver', 'bob'),
    };
    rp = await relyingParty(rt);
  });
  afterAll(() => rt.dispose());

  const call = async (who: keyof typeof tokens, method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const res = await (await rt.app()).inject({
      method,
      url,
      headers: { authorization: `Bearer ${tokens[who]}` },
      payload: payload as object,
    });
    return { status: res.statusCode, body: res.body, json: () => res.json() as Answer };
  };

  async function outboxFor(email: string) {
    const worker = rt.services.jobs.worker({ workerId: 'mail' });
    while ((await worker.runOnce()) > 0) {}
    const all = (await call('admin', 'GET', '/api/v1/outbox?limit=500')).json() as unknown as Array<{
      to: string;
      subject: string;
      text: string;
    }>;
    return all.filter((m) => m.to === email);
  }

  async function person(username: string, groups: string[] = []) {
    return rt.services.identity.create(
      { label: 'test' },
      { username, email: `${username}@example.org`, password: `${username} password 1`, groups },
    );
  }

  it('privileged person: opener refused, approver approves, pass shown once, sign-in enrols a new TOTP, completed', async () => {
    const p = await person('root-rita', ['admins']);
    const old = await issueTotp(rt, p.id, tokens.admin);
    await rt.services.validation.verifyForSignIn({ label: 'test' }, p.id, old.code(), {});

    const opened = await call('alice', 'POST', '/api/v1/recovery-requests', {
      userId: p.id,
      proofingMethod: 'video_call',
      proofingReference: 'INC-4242',
      notes: 'lost phone on a trip',
    });
    expect(opened.status).toBe(201);
    const req = opened.json();
    expect(req).toMatchObject({ state: 'open', privileged: true, pass: null, revokeOld: true });

    // The same agent (help-desk token: role refused; their approver token: four eyes refused).
    expect((await call('alice', 'POST', `/api/v1/recovery-requests/${req.id}/approve`)).json().code).toBe(
      'FORBIDDEN',
    );
    const self = await call('aliceApprover', 'POST', `/api/v1/recovery-requests/${req.id}/approve`);
    expect(self.status).toBe(403);
    expect(self.json().code).toBe('RECOVERY_SELF_APPROVAL');
    expect((await call('bob', 'GET', `/api/v1/recovery-requests/${req.id}`)).json().state).toBe('open');
    const refused = (await rt.services.audit.forSubject(p.id)).filter(
      (e) => e.action === 'recovery.approve_refused',
    );
    expect(refused.map((e) => [e.outcome, e.details.reason])).toEqual([['denied', 'self_approval']]);

    const approved = await call('bob', 'POST', `/api/v1/recovery-requests/${req.id}/approve`);
    expect(approved.status).toBe(200);
    const pass = approved.json().pass as { code: string; expiresAt: string };
    expect(pass.code).toMatch(/^[A-Z0-9-]+$/);
    expect(approved.json()).toMatchObject({ state: 'approved', approvedBy: 'token:bob(approver)' });
    // Shown once: no read answer carries it, nor does the audit trail.
    for (const who of ['alice', 'bob', 'admin'] as const) {
      expect((await call(who, 'GET', `/api/v1/recovery-requests/${req.id}`)).body).not.toContain(pass.code);
      expect((await call(who, 'GET', '/api/v1/recovery-requests')).body).not.toContain(pass.code);
    }
    const bare = pass.code.replace(/-/g, '');
    expect(JSON.stringify(await rt.services.audit.forSubject(p.id))).not.toContain(bare);
    expect((await call('bob', 'POST', `/api/v1/recovery-requests/${req.id}/approve`)).json().code).toBe(
      'INVALID_STATE',
    );
    // Old factors revoked with the approval.
    expect((await rt.services.authenticators.get(old.id)).state).toBe('revoked');

    // The person signs in with the pass and must enrol a new TOTP.
    const auth = await authorize(rp);
    const browser = new Browser(rt.url);
    const second = await browser.submit(await browser.go(auth.url), 'password', {
      username: 'root-rita',
      password: 'root-rita password 1',
    });
    expect(second.body).toContain('Temporary Access Pass');
    const enrol = await browser.submit(second, 'recovery', { method: 'access_pass', code: pass.code });
    expect(enrol.body).toContain('Set up an authenticator app');
    expect((await call('bob', 'GET', `/api/v1/recovery-requests/${req.id}`)).json().state).toBe('approved');
    const qr = await browser.submit(enrol, 'enrol-start');
    const key = /<code>([A-Z2-7 ]+)<\/code>/.exec(qr.body)![1]!.replace(/ /g, '');
    const code = totp(decodeBase32(key), rt.clock.now(), { algorithm: 'SHA1', digits: 6, period: 30 });
    const back = await browser.submit(qr, 'enrol-confirm', { code });
    expect(back.location).toContain('code=');
    expect((await auth.finish(back.location!)).claims()!.acr).toBe(AAL2);

    const done = (await call('alice', 'GET', `/api/v1/recovery-requests/${req.id}`)).json();
    expect(done.state).toBe('completed');
    expect(done.completedAt).toBeTruthy();
    const actions = (await rt.services.audit.forSubject(p.id)).map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'recovery.requested',
        'recovery.approve_refused',
        'recovery.approved',
        'recovery.completed',
      ]),
    );
    const mails = await outboxFor('root-rita@example.org');
    expect(mails.map((m) => m.subject)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('recovery requested'),
        expect.stringContaining('recovery approved'),
        expect.stringContaining('recovery completed'),
      ]),
    );
    for (const m of mails) expect(m.text).not.toContain(pass.code);
  });

  it('a non-privileged person is approved at opening by the agent (audited), the pass in that answer', async () => {
    const p = await person('plain-paul');
    const opened = await call('alice', 'POST', '/api/v1/recovery-requests', {
      userId: p.id,
      proofingMethod: 'in_person',
      revokeOld: false,
    });
    expect(opened.status).toBe(201);
    expect(opened.json()).toMatchObject({
      state: 'approved',
      privileged: false,
      approvedBy: 'token:alice(helpdesk)',
    });
    expect(opened.json().pass!.code).toBeTruthy();
    const approved = (await rt.services.audit.forSubject(p.id)).find((e) => e.action === 'recovery.approved');
    expect(approved?.details.basis).toBe('approved_at_open');
  });

  it('an expired request cannot be approved: refused, audited, listed as expired', async () => {
    const p = await person('late-lena', ['admins']);
    const req = (
      await call('alice', 'POST', '/api/v1/recovery-requests', {
        userId: p.id,
        proofingMethod: 'id_document',
      })
    ).json();
    rt.clock.advance(25 * 60 * 60 * 1000);
    const res = await call('bob', 'POST', `/api/v1/recovery-requests/${req.id}/approve`);
    expect(res.status).toBe(409);
    expect(res.json().code).toBe('INVALID_STATE');
    expect((await rt.services.authenticators.list(p.id)).filter((a) => a.type === 'access_pass')).toEqual([]);
    const expired = (
      await call('bob', 'GET', '/api/v1/recovery-requests?state=expired')
    ).json() as unknown as Array<{ id: string }>;
    expect(expired.map((r) => r.id)).toContain(req.id);
    const open = (
      await call('bob', 'GET', '/api/v1/recovery-requests?state=open')
    ).json() as unknown as Array<{ id: string }>;
    expect(open.map((r) => r.id)).not.toContain(req.id);
    const events = (await rt.services.audit.forSubject(p.id)).filter(
      (e) => e.action === 'recovery.approve_refused',
    );
    expect(events.map((e) => e.details.reason)).toEqual(['expired']);
  });

  it('a rejected request cannot be approved afterwards; reject needs a reason', async () => {
    const p = await person('rej-ron', ['admins']);
    const req = (
      await call('alice', 'POST', '/api/v1/recovery-requests', {
        userId: p.id,
        proofingMethod: 'manager_vouch',
      })
    ).json();
    expect((await call('bob', 'POST', `/api/v1/recovery-requests/${req.id}/reject`, {})).json().code).toBe(
      'VALIDATION_FAILED',
    );
    const rejected = await call('bob', 'POST', `/api/v1/recovery-requests/${req.id}/reject`, {
      reason: 'caller failed the check',
    });
    expect(rejected.json()).toMatchObject({ state: 'rejected', decidedReason: 'caller failed the check' });
    const again = await call('bob', 'POST', `/api/v1/recovery-requests/${req.id}/approve`);
    expect(again.json().code).toBe('INVALID_STATE');
    expect((await rt.services.authenticators.list(p.id)).length).toBe(0);
    expect((await outboxFor('rej-ron@example.org')).map((m) => m.subject)).toEqual(
      expect.arrayContaining([expect.stringContaining('recovery rejected')]),
    );
  });

  it('cancel: only the opener or an admin; a cancelled request is not approvable', async () => {
    const p = await person('can-cleo', ['admins']);
    const carl = await rt.token('helpdesk', 'carl');
    const req = (
      await call('alice', 'POST', '/api/v1/recovery-requests', { userId: p.id, proofingMethod: 'in_person' })
    ).json();
    const byCarl = await (await rt.app()).inject({
      method: 'POST',
      url: `/api/v1/recovery-requests/${req.id}/cancel`,
      headers: { authorization: `Bearer ${carl}` },
    });
    expect(byCarl.json().code).toBe('FORBIDDEN');
    expect(
      (
        await call('alice', 'POST', `/api/v1/recovery-requests/${req.id}/cancel`, { reason: 'duplicate' })
      ).json().state,
    ).toBe('cancelled');
    expect((await call('bob', 'POST', `/api/v1/recovery-requests/${req.id}/approve`)).json().code).toBe(
      'INVALID_STATE',
    );
  });

  it('bad input changes nothing: unknown fields, passwords, unknown person, unknown state filter', async () => {
    const p = await person('bad-bea');
    const before = (
      await call('admin', 'GET', '/api/v1/recovery-requests?limit=500')
    ).json() as unknown as unknown[];
    for (const body of [
      { userId: p.id },
      { userId: p.id, proofingMethod: 'video_call', password: 'new password 1' },
      { userId: p.id, proofingMethod: 'video_call', secret: 'JBSWY3DPEHPK3PXP' },
      { userId: p.id, proofingMethod: 'telepathy' },
    ]) {
      const res = await call('alice', 'POST', '/api/v1/recovery-requests', body);
      expect(res.status).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
    expect(
      (
        await call('alice', 'POST', '/api/v1/recovery-requests', {
          userId: 'nobody',
          proofingMethod: 'in_person',
        })
      ).json().code,
    ).toBe('NOT_FOUND');
    expect((await call('alice', 'GET', '/api/v1/recovery-requests?state=weird')).status).toBe(400);
    expect((await call('alice', 'GET', '/api/v1/recovery-requests/none')).json().code).toBe('NOT_FOUND');
    const after = (
      await call('admin', 'GET', '/api/v1/recovery-requests?limit=500')
    ).json() as unknown as unknown[];
    expect(after.length).toBe(before.length);
  });

  it('a help-desk token reaches no password or secret route', async () => {
    const p = await person('pw-pia');
    const pw = await call('alice', 'POST', `/api/v1/users/${p.id}/password`, {
      password: 'helpdesk chosen 1',
    });
    expect(pw.json().code).toBe('FORBIDDEN');
    const issue = await call('alice', 'POST', `/api/v1/users/${p.id}/authenticators`, {
      type: 'access_pass',
    });
    expect(issue.json().code).toBe('FORBIDDEN');
    const app = await rt.app();
    const pwRoute = app.apiRouteTable.find(
      (r) => r.method === 'POST' && r.url === '/api/v1/users/:id/password',
    );
    expect(pwRoute?.roles).toEqual(['admin']);
  });
});
