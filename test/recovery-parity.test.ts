import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBase32, totp } from '../src/authenticators/otp/index.js';
import { ACR_BY_AAL, assess, type UsedFactor } from '../src/sso/acr-amr.js';
import { describeType } from '../src/sso/interactions/sign-in-service.js';
import { usedAuthenticator } from '../src/sso/interactions/methods.js';
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

/**
 * Recovery parity (SECURITY.md; V6.4.3, V6.4.4; Keycloak #12759; authentik #18639): for each
 * recovery path × each level a client asks for, the ID token's acr is never above what the
 * recovery itself proves unless a freshly enrolled factor was verified, and never below what
 * the client requires (then `unmet_authentication_requirements`, never a lower acr).
 */
const PATHS = ['recovery_code', 'access_pass'] as const;
const ASKS = [undefined, 1, 2, 3] as const;

describe('recovery credentials alone prove AAL1 at most (pure)', () => {
  it.each(['recovery_codes', 'access_pass'])('password + %s stays AAL1, without mfa', (type) => {
    const d = describeType(type)!;
    const factors: UsedFactor[] = [{ kind: 'password' }, usedAuthenticator(type, d)];
    const a = assess(factors);
    expect(a.acr).toBe(ACR_BY_AAL[1]);
    expect(a.amr).not.toContain('mfa');
  });
});

describe.each(DIALECTS)('recovery parity conformance on %s', (dialect) => {
  let rt: TestRuntime & { url: string };
  let admin: string;
  let helpdesk: string;
  let approver: string;
  let rp: Awaited<ReturnType<typeof relyingParty>>;
  let n = 0;

  beforeAll(async () => {
    rt = await listeningRuntime(dialect);
    admin = await rt.token('admin');
    helpdesk = await rt.token('helpdesk', 'hd-agent');
    approver = await rt.token('approver', 'approver-1');
    rp = await relyingParty(rt);
  });
  afterAll(() => rt.dispose());

  const post = async (token: string, url: string, payload: unknown = {}) =>
    (await rt.app())
      .inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${token}` },
        payload: payload as object,
      })
      .then((r) => ({ status: r.statusCode, json: () => r.json() as Answer }));

  /** A person whose phone is lost, and the recovery credential the path gives them. */
  async function recovered(path: (typeof PATHS)[number]) {
    const username = `parity-${path}-${++n}`;
    const password = `${username} pw 1`;
    const p = await rt.services.identity.create(
      { label: 'test' },
      { username, email: `${username}@example.org`, password, groups: ['admins'] },
    );
    const phone = await issueTotp(rt, p.id, admin);
    await rt.services.validation.verifyForSignIn({ label: 'test' }, p.id, phone.code(), {});
    if (path === 'recovery_code') {
      const set = await post(admin, `/api/v1/users/${p.id}/authenticators`, { type: 'recovery_codes' });
      expect((await post(helpdesk, `/api/v1/authenticators/${phone.id}/lost`)).status).toBe(200);
      return { p, username, password, credential: set.json().codes![0]! };
    }
    const req = (
      await post(helpdesk, '/api/v1/recovery-requests', { userId: p.id, proofingMethod: 'video_call' })
    ).json();
    const approved = await post(approver, `/api/v1/recovery-requests/${req.id}/approve`);
    expect(approved.status).toBe(200);
    return { p, username, password, credential: approved.json().pass!.code as string };
  }

  async function untilRecovered(path: (typeof PATHS)[number], ask: number | undefined) {
    const r = await recovered(path);
    const auth = await authorize(rp, ask ? { acr_values: ACR_BY_AAL[ask as 1 | 2 | 3] } : {});
    const browser = new Browser(rt.url);
    const next = await browser.submit(await browser.go(auth.url), 'password', {
      username: r.username,
      password: r.password,
    });
    return { ...r, auth, browser, next };
  }

  for (const path of PATHS) {
    for (const ask of ASKS) {
      const label = ask ? `acr_values aal${ask}` : 'no acr_values';
      if (ask === 3) {
        it(`${path}, ${label}: unmet_authentication_requirements, no code, the credential unspent`, async () => {
          const { next, p } = await untilRecovered(path, ask);
          const back = new URL(next.location ?? 'http://x/none', rt.url);
          expect(back.pathname).toBe('/cb');
          expect(back.searchParams.get('error')).toBe('unmet_authentication_requirements');
          expect(back.searchParams.get('code')).toBeNull();
          const spent = (await rt.services.audit.forSubject(p.id)).filter((e) =>
            e.action.endsWith('.redeemed'),
          );
          expect(spent).toEqual([]);
        });
        continue;
      }
      it(`${path}, ${label}: the credential opens only enrolment; the verified new TOTP gives aal2`, async () => {
        const { next, browser, auth, credential } = await untilRecovered(path, ask);
        const enrol = await browser.submit(next, 'recovery', { method: path, code: credential });
        // The recovery itself: no code reaches the client, the only way on is enrolment.
        expect(enrol.location ?? '').not.toContain('code=');
        expect(enrol.body).toContain('Set up an authenticator app');
        const qr = await browser.submit(enrol, 'enrol-start');
        const key = /<code>([A-Z2-7 ]+)<\/code>/.exec(qr.body)![1]!.replace(/ /g, '');
        const code = totp(decodeBase32(key), rt.clock.now(), { algorithm: 'SHA1', digits: 6, period: 30 });
        const back = await browser.submit(qr, 'enrol-confirm', { code });
        expect(back.location).toContain('code=');
        const claims = (await auth.finish(back.location!)).claims()!;
        expect(claims.acr).toBe(ACR_BY_AAL[2]);
        expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
      });
    }

    it(`${path}: resuming the authorization with the recovery alone yields no code`, async () => {
      const { next, browser, credential } = await untilRecovered(path, 2);
      const enrol = await browser.submit(next, 'recovery', { method: path, code: credential });
      const uid = /\/interaction\/([^/"]+)\//.exec(enrol.body)![1]!;
      const resumed = await browser.go(`/oidc/auth/${uid}`);
      expect(resumed.location ?? '').not.toContain('code=');
    });
  }
});
