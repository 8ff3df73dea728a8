import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import type { Db } from '../store/open-store.js';
import { authenticatorsRepo } from '../store/repos/authenticators.js';
import { enrolmentRequirementsRepo } from '../store/repos/enrolment-requirements.js';
import type { AuthenticatorRow } from '../store/schema.js';
import { satisfyingFactor } from './factor-fit.js';
import { acceptanceOf } from './requirement-row.js';

const LIFECYCLE: Actor = { label: 'system:lifecycle' };

/**
 * Marks a person's open requirements met that their active factors now satisfy, inside the
 * caller's transaction (the activation of a factor: its first accepted code, a passkey
 * registration). `met_at` is when the satisfying factor was activated, so time-to-enrol
 * (met_at - created_at) is right even when the sweep is what notices. Returns the ids met.
 */
export async function markMetIfSatisfied(
  trx: Db,
  ctx: Context,
  userId: string,
  factors?: readonly AuthenticatorRow[],
): Promise<string[]> {
  const open = await enrolmentRequirementsRepo.openForUser(trx, userId);
  if (open.length === 0) return [];
  const held = factors ?? (await authenticatorsRepo.forUser(trx, userId));
  const now = ctx.clock.now();
  const met: string[] = [];
  for (const req of open) {
    const factor = satisfyingFactor(held, acceptanceOf(req));
    if (!factor) continue;
    // A factor activated before the requirement opened met it at once.
    const at = Math.min(now, Math.max(req.created_at, factor.activated_at ?? now));
    if (!(await enrolmentRequirementsRepo.markMet(trx, req.id, at, factor.id))) continue;
    met.push(req.id);
    await ctx.audit.append(trx, LIFECYCLE, {
      action: 'lifecycle.requirement_met',
      subject: userId,
      details: {
        requirementId: req.id,
        authenticatorId: factor.id,
        type: factor.type,
        timeToEnrolSeconds: Math.round((at - req.created_at) / 1000),
      },
    });
  }
  return met;
}

/**
 * Cancels a leaver's open requirements inside the leaver's transaction: nothing more is sent
 * and their links stop working. Returns the ids cancelled.
 */
export function cancelRequirementsOfLeaver(trx: Db, ctx: Context, userId: string): Promise<string[]> {
  return enrolmentRequirementsRepo.cancelAllOfUser(trx, userId, ctx.clock.now());
}

/**
 * The deadline of a person's earliest open requirement, or undefined: the sign-in's "enrol now"
 * grace ends there, and sign-in without a factor is refused after it.
 */
export function openEnrolmentDeadline(db: Db, userId: string): Promise<number | undefined> {
  return enrolmentRequirementsRepo.earliestOpenDeadline(db, userId);
}
