import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import type { PolicyService } from '../policy/policy-service.js';
import { auditPathRefused, pathAllowed, pathRefused, recoveryPolicyFor } from './recovery-policy.js';

/** The longest pass the access-pass type itself accepts (minutes). */
const TYPE_MAX_MINUTES = 8 * 60;

/**
 * The policy check on a stand-alone Temporary Access Pass (e.g. for a lost device), issued
 * outside a help-desk request: the person's policy must allow the `access_pass` path, the
 * lifetime defaults to the policy's `accessPassMinutes` and may not exceed it. A refusal is
 * audited with its inputs and answered 403 (POLICY_FORBIDS). Other types pass unchanged.
 */
export function accessPassCheck(ctx: Context, policy: PolicyService) {
  return async (actor: Actor, userId: string, body: unknown): Promise<unknown> => {
    if (typeof body !== 'object' || body === null || (body as { type?: unknown }).type !== 'access_pass')
      return body;
    const p = await recoveryPolicyFor(ctx, policy, ctx.store.db, userId);
    const asked = (body as { minutes?: unknown }).minutes;
    if (!pathAllowed(p, 'access_pass')) {
      await auditPathRefused(ctx, actor, userId, 'access_pass', p);
      throw pathRefused('access_pass', p);
    }
    if (typeof asked === 'number' && asked > p.passMinutes) {
      await auditPathRefused(ctx, actor, userId, 'access_pass', p, { minutes: asked });
      throw pathRefused(
        'access_pass',
        p,
        `the policy for this person allows passes of at most ${p.passMinutes} minutes`,
      );
    }
    return asked === undefined ? { ...body, minutes: Math.min(p.passMinutes, TYPE_MAX_MINUTES) } : body;
  };
}
