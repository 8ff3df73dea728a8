import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import { AppError } from '../shared/errors.js';
import type { Db } from '../store/open-store.js';
import { authenticatorsRepo } from '../store/repos/authenticators.js';
import { inventoryRepo } from '../store/repos/inventory.js';
import { oneTimeCodesRepo } from '../store/repos/one-time-codes.js';
import { usersRepo } from '../store/repos/users.js';
import { endSsoFor } from '../sso/end-sso.js';
import { failureCounter } from '../verification/failure-counter.js';
import { cancelRequirementsOfLeaver } from './mark-met.js';

/** What the leaver ended, as its audit receipt lists it. */
export interface LeaverReceipt {
  from: string;
  revoked: Array<{ id: string; type: string }>;
  returnedToInventory: Array<{ id: string; serial: string }>;
  voidedCodes: number;
  /** SSO sessions, grants, codes and access/refresh tokens removed. */
  endedSso: number;
  /** Open enrolment requirements cancelled (nothing more is sent; their links stop working). */
  cancelledRequirements: string[];
}

/** The `state_reason` every authenticator the leaver touches carries. */
export const LEAVER_REASON = 'leaver';

/**
 * The leaver event, inside the caller's transaction: the person becomes deprovisioned and,
 * in that same transaction, every authenticator is revoked (its one-time codes voided first,
 * the same lock order as redemption), hardware tokens go back to the inventory, the failure
 * counter is cleared, and one `person.deprovisioned` receipt lists what ended. It sweeps even
 * a person already deprovisioned, so nothing bound since stays live. Reactivation later brings
 * no factor back. Every SSO session, OIDC grant and access/refresh token ends in it too
 * (SECURITY.md), and open enrolment requirements are cancelled (the lifecycle's leaver event:
 * every deprovisioning path runs through here).
 */
export async function deactivate(
  trx: Db,
  ctx: Context,
  userId: string,
  actor: Actor,
  reason: string | null = null,
): Promise<LeaverReceipt> {
  const now = ctx.clock.now();
  // Locks the person first (PostgreSQL): a concurrent binding or validation waits for us.
  const person = await usersRepo.throttleForUpdate(trx, userId, ctx.store.caps.rowLocks);
  if (!person) throw new AppError('NOT_FOUND', `no person with id ${userId}`);
  if (person.status !== 'deprovisioned') {
    await usersRepo.update(trx, userId, { status: 'deprovisioned', updated_at: now });
  }
  const voidedCodes = await oneTimeCodesRepo.voidAllOfUser(trx, userId, now);
  const returned = await inventoryRepo.returnAllOfUser(trx, userId, LEAVER_REASON, now);
  const revoked = await authenticatorsRepo.revokeAllOfUser(trx, userId, LEAVER_REASON, now);
  // The count is cleared as after a success: a rehire must not inherit a lock.
  await failureCounter.succeed(trx, userId);
  const endedSso = await endSsoFor(trx, userId);
  const cancelledRequirements = await cancelRequirementsOfLeaver(trx, ctx, userId);
  const receipt: LeaverReceipt = {
    from: person.status,
    revoked: revoked.map((r) => ({ id: r.id, type: r.type })),
    returnedToInventory: returned.map((r) => ({ id: r.id, serial: r.serial ?? '' })),
    voidedCodes,
    endedSso,
    cancelledRequirements,
  };
  await ctx.audit.append(trx, actor, {
    action: 'person.deprovisioned',
    subject: userId,
    details: { ...receipt, reason },
  });
  return receipt;
}
