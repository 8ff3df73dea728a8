import type { interactionPolicy as InteractionPolicyModule } from 'oidc-provider';
import type { Context } from '../context.js';
import type { PolicyService } from '../policy/policy-service.js';
import { reauthDue } from '../policy/reauth.js';
import { sessionSignedInAt } from './session-stamps.js';

/** Whether the session `sessionId` of `accountId` is too old for `clientId`'s policy. */
export type ReauthDue = (accountId: string, clientId: string, sessionId: string) => Promise<boolean>;

/**
 * The policy's re-authentication interval (`reauthHours`, per group and application) at the
 * moment an existing SSO session would be reused for a client: a session signed in longer ago
 * than that, on the runtime clock, is not reused; the person signs in again. The decision is
 * audited with its inputs (`sso.reauth_required`).
 */
export function policyReauthDue(ctx: Context, policy: PolicyService): ReauthDue {
  return async (accountId, clientId, sessionId) => {
    const { requirement, evaluation } = await policy.requirementFor(accountId, clientId);
    const signedInAt = await sessionSignedInAt(ctx.store, sessionId);
    const now = ctx.clock.now();
    if (!reauthDue(signedInAt, requirement.reauthHours, now)) return false;
    await ctx.store.transaction((trx) =>
      ctx.audit.append(
        trx,
        { label: 'sso' },
        {
          action: 'sso.reauth_required',
          subject: accountId,
          details: {
            client: clientId,
            reauthHours: requirement.reauthHours,
            decidedBy: evaluation.fields.reauthHours.from,
            signedInAt: signedInAt === undefined ? null : new Date(signedInAt).toISOString(),
          },
        },
      ),
    );
    return true;
  };
}

/** The login check that asks `due` before an SSO session is reused for a client. */
export function policyReauthCheck(Check: typeof InteractionPolicyModule.Check, due: ReauthDue) {
  return new Check('policy_reauth', "the session is older than the client's policy allows", async (koa) => {
    const { session, client, result } = koa.oidc;
    // Just signed in (this authorization resumes from the sign-in pages): nothing to reuse.
    if (result?.login) return Check.NO_NEED_TO_PROMPT;
    if (!session?.accountId || !client || !session.jti) return Check.NO_NEED_TO_PROMPT;
    return (await due(session.accountId, client.clientId, session.jti))
      ? Check.REQUEST_PROMPT
      : Check.NO_NEED_TO_PROMPT;
  });
}
