import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import { newId } from '../crypto/random.js';
import type { JobService } from '../jobs/job-service.js';
import { AppError } from '../shared/errors.js';
import { groupsRepo } from '../store/repos/groups.js';
import { policyExceptionsRepo } from '../store/repos/policy-exceptions.js';
import { usersRepo } from '../store/repos/users.js';
import { evaluate } from './evaluate.js';
import { sweepSpec } from './exception-sweep.js';
import { exceptionInputSchema } from './policy-model.js';
import type { PolicyService } from './policy-service.js';
import { type ExceptionView, toExceptionView } from './policy-view.js';

const DAY = 24 * 60 * 60 * 1000;
/** Expiring: ends within this long. */
const EXPIRING_WITHIN = 7 * DAY;

/** Which exceptions to list. */
export type ExceptionFilter = 'all' | 'active' | 'expiring' | 'overdue';

/**
 * Exceptions: time-bound waivers of policy rules. Granting needs an expiry within the applicable
 * policy's `maxExceptionDays` (default 30); every grant and revocation is one audited transaction.
 */
export class ExceptionService {
  constructor(
    private readonly ctx: Context,
    private readonly policies: PolicyService,
    private readonly jobs: JobService,
  ) {}

  /** Grants an exception; VALIDATION_FAILED (nothing written) without an expiry or past the policy's limit. */
  async grant(actor: Actor, body: unknown): Promise<ExceptionView> {
    const input = exceptionInputSchema.parse(body);
    const now = this.ctx.clock.now();
    const startsAt = input.startsAt === undefined ? now : Date.parse(input.startsAt);
    const expiresAt = Date.parse(input.expiresAt);
    if (expiresAt <= Math.max(now, startsAt)) {
      throw new AppError('VALIDATION_FAILED', 'expiresAt must be after now and after startsAt');
    }
    const maxDays = await this.maxDays(input.userId ?? null, input.groupName ?? null);
    if (expiresAt - now > maxDays * DAY) {
      throw new AppError(
        'VALIDATION_FAILED',
        `an exception may last at most ${maxDays} days under the applicable policy`,
        { maxExceptionDays: maxDays },
      );
    }
    const id = newId();
    return this.ctx.store.transaction(async (trx) => {
      await policyExceptionsRepo.insert(trx, {
        id,
        user_id: input.userId ?? null,
        group_name: input.groupName ?? null,
        waives: JSON.stringify(input.waives),
        owner: input.owner,
        reason: input.reason,
        ticket: input.ticket ?? null,
        starts_at: startsAt,
        expires_at: expiresAt,
        granted_by: actor.label,
        created_at: now,
        revoked_at: null,
        expired_at: null,
        notified_7d_at: null,
        notified_1d_at: null,
      });
      await this.ctx.audit.append(trx, actor, {
        action: 'policy.exception_granted',
        subject: input.userId ?? null,
        details: {
          exception: id,
          groupName: input.groupName ?? null,
          waives: input.waives,
          owner: input.owner,
          reason: input.reason,
          ticket: input.ticket ?? null,
          expiresAt: new Date(expiresAt).toISOString(),
        },
      });
      // The sweep runs while any exception is live; a grant (re)starts it.
      await this.jobs.enqueue(trx, sweepSpec(now));
      return toExceptionView((await policyExceptionsRepo.byId(trx, id))!, now);
    });
  }

  /** Revokes a live exception; NOT_FOUND, or INVALID_STATE when already revoked. */
  async revoke(actor: Actor, id: string, reason: string | undefined): Promise<ExceptionView> {
    const now = this.ctx.clock.now();
    return this.ctx.store.transaction(async (trx) => {
      const row = await policyExceptionsRepo.byId(trx, id);
      if (!row) throw new AppError('NOT_FOUND', `no exception with id ${id}`);
      if (!(await policyExceptionsRepo.revoke(trx, id, now))) {
        throw new AppError('INVALID_STATE', 'the exception is already revoked');
      }
      await this.ctx.audit.append(trx, actor, {
        action: 'policy.exception_revoked',
        subject: row.user_id,
        details: { exception: id, groupName: row.group_name, reason: reason ?? null },
      });
      return toExceptionView((await policyExceptionsRepo.byId(trx, id))!, now);
    });
  }

  /** Exceptions by status: active now, expiring within 7 days, overdue (expired, not yet swept), or all (newest 500). */
  async list(filter: ExceptionFilter): Promise<ExceptionView[]> {
    const db = this.ctx.store.reader;
    const now = this.ctx.clock.now();
    if (filter === 'overdue')
      return (await policyExceptionsRepo.overdue(db, now)).map((r) => toExceptionView(r, now));
    if (filter === 'all')
      return (await policyExceptionsRepo.list(db, 500)).map((r) => toExceptionView(r, now));
    const live = (await policyExceptionsRepo.unexpired(db, now)).filter((r) => r.starts_at <= now);
    const rows = filter === 'expiring' ? live.filter((r) => r.expires_at - now <= EXPIRING_WITHIN) : live;
    return rows.map((r) => toExceptionView(r, now));
  }

  /** The longest exception the policy applicable to this person or group allows (NOT_FOUND for an unknown one). */
  private async maxDays(userId: string | null, groupName: string | null): Promise<number> {
    const db = this.ctx.store.reader;
    if (userId !== null) {
      if (!(await usersRepo.byId(db, userId))) throw new AppError('NOT_FOUND', `no person with id ${userId}`);
      return (await this.policies.requirementFor(userId, null)).requirement.maxExceptionDays;
    }
    if (!(await groupsRepo.byName(db, groupName!))) throw new AppError('NOT_FOUND', `no group ${groupName}`);
    const { requirement } = evaluate({
      userId: '',
      groups: [groupName!],
      clientId: null,
      policies: await this.policies.list(),
      exceptions: [],
      now: this.ctx.clock.now(),
      baseline: this.policies.baseline,
    });
    return requirement.maxExceptionDays;
  }
}
