import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import { verifyOneTimeSecret } from '../crypto/one-time-hash.js';
import { normaliseHumanCode } from '../crypto/random.js';
import { authenticatorsRepo } from '../store/repos/authenticators.js';
import { oneTimeCodesRepo, type RedeemableCode } from '../store/repos/one-time-codes.js';
import { usersRepo } from '../store/repos/users.js';
import { AppError } from '../shared/errors.js';
import { retryAfterSeconds } from '../verification/backoff.js';
import { failureCounter } from '../verification/failure-counter.js';
import { changeState } from './change-state.js';
import { passValidFrom } from './types/access-pass.js';

/** The single-use kinds, and the prefix of their audit actions. */
const AUDIT_PREFIX = { recovery_codes: 'recovery_code', access_pass: 'access_pass' } as const;
export type OneTimeKind = keyof typeof AUDIT_PREFIX;

/** Longer input is no code of ours; it is refused without hashing it against every candidate. */
const MAX_CODE_CHARS = 64;

/**
 * Redeems one recovery code or access pass of `userId`, at most once across every instance:
 * find the owner's unused codes of a usable, unexpired authenticator, compare against every
 * hash (no early exit), then spend the match with a conditional UPDATE; only the request whose
 * update found it unused wins. A spent pass revokes its authenticator ("redeemed"). Every
 * outcome is audited in the same transaction; the code itself never is. Failures count on the
 * person's one failure counter (shared with the validation API and sign-in); while it locks the
 * account, redemption is refused with THROTTLED before any code is compared.
 */
export async function redeemOneTimeCode(
  ctx: Context,
  kind: OneTimeKind,
  userId: string,
  code: string,
  actor: Actor,
): Promise<boolean> {
  const prefix = AUDIT_PREFIX[kind];
  const presented = code.length <= MAX_CODE_CHARS ? normaliseHumanCode(code) : undefined;
  return ctx.store.transaction(async (trx) => {
    const now = ctx.clock.now();
    const person = await usersRepo.byId(trx, userId);
    if (person && failureCounter.isLocked(person.locked_until, now)) {
      const wait = retryAfterSeconds(person.locked_until!, now);
      throw new AppError('THROTTLED', `too many failed attempts; retry after ${wait} s`);
    }
    const usable = presented !== undefined && person?.status === 'active';
    const candidates = usable ? await oneTimeCodesRepo.redeemable(trx, userId, kind, now) : [];
    const match = presented === undefined ? undefined : findMatch(presented, candidates);
    const validFrom = match && kind === 'access_pass' ? passValidFrom(match.params) : undefined;
    if (validFrom !== undefined && validFrom > now) {
      // The right pass, too early (a joiner's day-one pass): refused, kept, not counted as a guess.
      await ctx.audit.append(trx, actor, {
        action: `${prefix}.rejected`,
        subject: userId,
        outcome: 'failure',
        details: {
          reason: 'not_yet_valid',
          authenticatorId: match!.authenticator_id,
          validFrom: new Date(validFrom).toISOString(),
        },
      });
      return false;
    }
    if (!match || !(await oneTimeCodesRepo.consume(trx, match.id, now))) {
      const counted = usable
        ? await failureCounter.fail(trx, userId, now, ctx.config.throttleFreeFailures)
        : undefined;
      await ctx.audit.append(trx, actor, {
        action: `${prefix}.rejected`,
        subject: userId,
        outcome: 'failure',
        details: counted ? { failures: counted.failures } : {},
      });
      return false;
    }
    await failureCounter.succeed(trx, userId);
    await authenticatorsRepo.markUsed(trx, match.authenticator_id, now);
    const remaining = (await oneTimeCodesRepo.unusedCounts(trx, [match.authenticator_id])).get(
      match.authenticator_id,
    );
    await ctx.audit.append(trx, actor, {
      action: `${prefix}.redeemed`,
      subject: userId,
      details: { authenticatorId: match.authenticator_id, remaining: remaining ?? 0 },
    });
    if (kind === 'access_pass') {
      const row = await authenticatorsRepo.byId(trx, match.authenticator_id);
      if (row) await changeState(ctx, trx, actor, row, 'revoke', 'redeemed');
    }
    return true;
  });
}

/** The candidate whose hash `presented` matches; every hash is checked, so timing shows no position. */
function findMatch(presented: string, candidates: RedeemableCode[]): RedeemableCode | undefined {
  let match: RedeemableCode | undefined;
  for (const c of candidates) {
    if (verifyOneTimeSecret(presented, c.code_hash) && match === undefined) match = c;
  }
  return match;
}
