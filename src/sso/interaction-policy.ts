import type { interactionPolicy as InteractionPolicyModule } from 'oidc-provider';
import { type Aal, aalOfAcr, FLOOR_AAL, requiredAal } from './acr-amr.js';
import { policyReauthCheck, type ReauthDue } from './policy-reauth.js';
import { pastOverallLimit, type SessionLimits } from './session-limits.js';

// Importers of FLOOR_AAL (the policy services) keep working; it lives with the other levels.
export { FLOOR_AAL };

const epochNow = () => Math.floor(Date.now() / 1000);

/**
 * When oidc-provider must send the browser to the sign-in pages: its own reasons (no session,
 * `prompt=login`, `max_age`), plus a session whose person is no longer active, a session below
 * the level the request asks for (step-up via `acr_values`), and a session past its overall
 * re-authentication limit.
 */
export function signInPolicy(
  /** oidc-provider's `interactionPolicy`, handed in by provider.ts: this file never loads oidc-provider itself (CLI commands stay free of it). */
  { base, Check }: typeof InteractionPolicyModule,
  limits: SessionLimits,
  /** The level the person's policy requires for the client (a session below it signs in again). */
  policyAal: (accountId: string, clientId: string) => Promise<Aal> = async () => 1,
  /** Whether the session is older than the client's policy re-authentication interval (policy-reauth.ts). */
  reauthDue?: ReauthDue,
) {
  const policy = base();
  const login = policy.get('login')!;
  if (reauthDue) login.checks.add(policyReauthCheck(Check, reauthDue));
  // The session's person is no longer active (findAccount refused them): sign in again.
  login.checks.add(
    new Check('account_inactive', 'the signed-in person is no longer active', (ctx) =>
      ctx.oidc.session?.accountId && !ctx.oidc.account ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT,
    ),
  );
  login.checks.add(
    new Check(
      'acr_values_unmet',
      'the session does not reach the requested authentication level',
      async (ctx) => {
        const { session, params, client, result } = ctx.oidc;
        if (!session?.accountId) return Check.NO_NEED_TO_PROMPT;
        // A session from a sign-in to another application may be below what this one's policy
        // needs. One that was just signed in for this authorization (it resumes from the sign-in
        // pages, which required the policy's level for this client) is not looked up again.
        const policy = client && !result?.login ? await policyAal(session.accountId, client.clientId) : 1;
        return aalOfAcr(session.acr) < Math.max(requiredAal(params?.acr_values, FLOOR_AAL), policy)
          ? Check.REQUEST_PROMPT
          : Check.NO_NEED_TO_PROMPT;
      },
    ),
  );
  // The session store already ends sessions past their limits on the runtime's clock (adapter.ts,
  // SessionAging); this is the same overall limit on oidc-provider's own clock, as a backstop.
  login.checks.add(
    new Check('session_limit', 'the session is past its re-authentication limit', (ctx) => {
      const { session } = ctx.oidc;
      if (!session?.accountId || session.loginTs === undefined) return Check.NO_NEED_TO_PROMPT;
      return pastOverallLimit(limits, aalOfAcr(session.acr), session.loginTs, epochNow())
        ? Check.REQUEST_PROMPT
        : Check.NO_NEED_TO_PROMPT;
    }),
  );
  return policy;
}
