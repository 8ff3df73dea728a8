import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import type { PolicyService } from '../policy/policy-service.js';
import { auditPathRefused, pathAllowed, pathRefused, recoveryPolicyFor } from './recovery-policy.js';

/** What a person is told when their policy has no recovery codes. */
export const RECOVERY_CODES_FORBIDDEN =
  'the policy for this person does not allow recovery codes; if every factor is lost, the help desk recovers the account';

/** Whether the person's policy allows the `recovery_code` path (read-only; nothing is audited). */
export async function recoveryCodesAllowed(
  ctx: Context,
  policy: PolicyService,
  userId: string,
): Promise<boolean> {
  return pathAllowed(await recoveryPolicyFor(ctx, policy, ctx.store.db, userId), 'recovery_code');
}

/**
 * The policy check on issuing recovery codes, wherever they are issued (admin API, /account
 * regeneration, after an invitation's enrolment): the person's policy must allow the
 * `recovery_code` path. A refusal is audited (`recovery.path_refused`) and answered 403
 * (POLICY_FORBIDS), nothing issued. Other types pass unchanged.
 */
export function recoveryCodesCheck(ctx: Context, policy: PolicyService) {
  return async (actor: Actor, userId: string, body: unknown): Promise<unknown> => {
    if (typeof body !== 'object' || body === null || (body as { type?: unknown }).type !== 'recovery_codes')
      return body;
    const p = await recoveryPolicyFor(ctx, policy, ctx.store.db, userId);
    if (pathAllowed(p, 'recovery_code')) return body;
    await auditPathRefused(ctx, actor, userId, 'recovery_code', p);
    throw pathRefused('recovery_code', p, RECOVERY_CODES_FORBIDDEN);
  };
}
