import type { Actor } from '../audit/audit-log.js';
import type { AuthenticatorService } from '../authenticators/authenticator-service.js';
import type { Context } from '../context.js';
import { newId } from '../crypto/random.js';
import type { MailService } from '../notify/mail-service.js';
import type { PolicyService } from '../policy/policy-service.js';
import { AppError } from '../shared/errors.js';
import type { Db } from '../store/open-store.js';
import { recoveryRequestsRepo } from '../store/repos/recovery-requests.js';
import { usersRepo } from '../store/repos/users.js';
import type { RecoveryRequestRow, UserRow } from '../store/schema.js';
import { type GrantDeps, grantRecovery, type RecoveryAnswer } from './grant-recovery.js';
import {
  type Agent,
  DECISION_HOURS,
  needsSecondApprover,
  openRequestSchema,
  type RecoveryRequestView,
  type RecoveryState,
  type Refusal,
  refuseApproval,
  refuseCancel,
  refuseRejection,
  toRecoveryView,
} from './recovery-model.js';
import {
  auditPathRefused,
  pathAllowed,
  pathRefused,
  type RecoveryPolicySource,
  recoveryPolicyFor,
} from './recovery-policy.js';
import { moveRequest, notifyPerson } from './request-steps.js';

const HOUR_MS = 60 * 60 * 1000;

/**
 * Help-desk recovery: open a request with proofing evidence, decide it with four eyes where
 * policy says, issue a single-use Temporary Access Pass with the approval (same transaction),
 * and mark it completed once the person enrolled a new factor with it. Every step and every
 * refused attempt is audited; the person is mailed at each step.
 */
export class RecoveryService {
  private readonly policyFor: RecoveryPolicySource;
  private readonly grantDeps: GrantDeps;

  /** `policyFor` defaults to `recoveryPolicyFor`, which asks the one policy evaluator. */
  constructor(
    private readonly ctx: Context,
    authenticators: AuthenticatorService,
    private readonly mail: MailService,
    policy: PolicyService,
    policyFor?: RecoveryPolicySource,
  ) {
    this.policyFor = policyFor ?? ((db, userId) => recoveryPolicyFor(ctx, policy, db, userId));
    this.grantDeps = { ctx, authenticators, mail };
  }

  /**
   * Opens a request; a non-privileged person's is approved at once by the agent's act (audited).
   * A person whose policy does not allow help-desk recovery is refused (403), the attempt audited.
   */
  async open(agent: Agent, body: unknown): Promise<RecoveryAnswer> {
    const input = openRequestSchema.parse(body);
    const person = await this.person(this.ctx.store.db, input.userId);
    await this.requireHelpdesk(agent, person.id, { attempt: 'open' });
    return this.ctx.store.transaction(async (trx) => {
      const now = this.ctx.clock.now();
      const person = await usersRepo.byId(trx, input.userId);
      if (!person) throw new AppError('NOT_FOUND', `no person with id ${input.userId}`);
      if (person.status !== 'active')
        throw new AppError('INVALID_STATE', `a ${person.status} person cannot be recovered`);
      const policy = await this.policyFor(trx, person.id);
      if (!pathAllowed(policy, 'helpdesk')) throw pathRefused('helpdesk', policy);
      const row: RecoveryRequestRow = {
        id: newId(),
        user_id: person.id,
        requested_by: agent.label,
        requester_name: agent.name,
        proofing_method: input.proofingMethod,
        proofing_reference: input.proofingReference ?? null,
        notes: input.notes ?? null,
        privileged: policy.privileged ? 1 : 0,
        state: 'open',
        approved_by: null,
        approved_at: null,
        decided_reason: null,
        expires_at: now + DECISION_HOURS * HOUR_MS,
        pass_authenticator_id: null,
        pass_delivery: null,
        revoke_old: input.revokeOld ? 1 : 0,
        created_at: now,
        updated_at: now,
        completed_at: null,
      };
      await recoveryRequestsRepo.insert(trx, row);
      await this.ctx.audit.append(trx, agent, {
        action: 'recovery.requested',
        subject: person.id,
        details: {
          requestId: row.id,
          proofingMethod: row.proofing_method,
          proofingReference: row.proofing_reference,
          notes: row.notes,
          privileged: policy.privileged,
          revokeOld: input.revokeOld,
        },
      });
      await notifyPerson(this.mail, trx, person, 'requested', row.id, now);
      if (needsSecondApprover(policy.privileged, policy.approveUnprivilegedAtOpen))
        return { ...toRecoveryView(row, now), pass: null };
      return grantRecovery(this.grantDeps, trx, {
        approver: agent,
        row,
        person,
        policy,
        now,
        basis: 'approved_at_open',
      });
    });
  }

  /** Approves (four eyes) and issues the pass; refused attempts are audited and change nothing else. */
  async approve(approver: Agent, id: string): Promise<RecoveryAnswer> {
    // The policy may have changed since the request was opened: it is asked again.
    const pending = await this.load(this.ctx.store.db, id);
    await this.requireHelpdesk(approver, pending.user_id, { attempt: 'approve', requestId: id });
    return this.decide(approver, id, 'approve', refuseApproval, async (trx, row, now) => {
      const person = await this.person(trx, row.user_id);
      const policy = await this.policyFor(trx, row.user_id);
      return grantRecovery(this.grantDeps, trx, {
        approver,
        row,
        person,
        policy,
        now,
        basis: 'second_approver',
      });
    });
  }

  /** Turns a request down with a reason. */
  reject(approver: Agent, id: string, reason: string): Promise<RecoveryRequestView> {
    return this.decide(approver, id, 'reject', refuseRejection, async (trx, row, now) => {
      const patch = { approved_by: approver.label, approved_at: now, decided_reason: reason };
      const moved = await moveRequest(trx, row, 'rejected', now, patch);
      await this.ctx.audit.append(trx, approver, {
        action: 'recovery.rejected',
        subject: row.user_id,
        details: { requestId: row.id, reason },
      });
      await notifyPerson(this.mail, trx, await this.person(trx, row.user_id), 'rejected', row.id, now);
      return toRecoveryView(moved, now);
    });
  }

  /** Withdraws an undecided request (the agent who opened it, or an admin). */
  cancel(agent: Agent, id: string, reason: string | null): Promise<RecoveryRequestView> {
    return this.decide(agent, id, 'cancel', refuseCancel, async (trx, row, now) => {
      const moved = await moveRequest(trx, row, 'cancelled', now, { decided_reason: reason });
      await this.ctx.audit.append(trx, agent, {
        action: 'recovery.cancelled',
        subject: row.user_id,
        details: { requestId: row.id, reason },
      });
      return toRecoveryView(moved, now);
    });
  }

  /** One request, or NOT_FOUND. */
  async get(id: string): Promise<RecoveryRequestView> {
    return toRecoveryView(await this.load(this.ctx.store.db, id), this.ctx.clock.now());
  }

  /** Requests, newest first, optionally in one state (as of now). */
  async list(opts: { state?: RecoveryState; limit: number; offset: number }): Promise<RecoveryRequestView[]> {
    const now = this.ctx.clock.now();
    const rows = await recoveryRequestsRepo.list(this.ctx.store.db, { ...opts, now });
    return rows.map((r) => toRecoveryView(r, now));
  }

  /**
   * The sign-in hook: the person just verified a factor enrolled after spending a recovery
   * credential. Approved requests whose pass was redeemed are completed. Returns how many.
   */
  async completeForPerson(actor: Actor, userId: string): Promise<number> {
    return this.ctx.store.transaction(async (trx) => {
      const now = this.ctx.clock.now();
      const rows = await recoveryRequestsRepo.approvedWithRedeemedPass(trx, userId);
      for (const row of rows) {
        await moveRequest(trx, row, 'completed', now, { completed_at: now });
        await this.ctx.audit.append(trx, actor, {
          action: 'recovery.completed',
          subject: userId,
          details: { requestId: row.id, passAuthenticatorId: row.pass_authenticator_id },
        });
        await notifyPerson(this.mail, trx, await this.person(trx, userId), 'completed', row.id, now);
      }
      return rows.length;
    });
  }

  /**
   * Runs one decision: load, check (pure), then apply — or, when refused, audit the attempt
   * (outcome denied) and commit only that, then fail with the refusal's code.
   */
  private async decide<T>(
    agent: Agent,
    id: string,
    attempt: 'approve' | 'reject' | 'cancel',
    check: (row: RecoveryRequestRow, agent: Agent, now: number) => Refusal | null,
    apply: (trx: Db, row: RecoveryRequestRow, now: number) => Promise<T>,
  ): Promise<T> {
    const r = await this.ctx.store.transaction(async (trx) => {
      const now = this.ctx.clock.now();
      const row = await this.load(trx, id);
      const refusal = check(row, agent, now);
      if (!refusal) return { ok: true as const, value: await apply(trx, row, now) };
      await this.ctx.audit.append(trx, agent, {
        action: `recovery.${attempt}_refused`,
        subject: row.user_id,
        outcome: 'denied',
        details: { requestId: row.id, reason: refusal.reason },
      });
      return { ok: false as const, refusal };
    });
    if (!r.ok) throw new AppError(r.refusal.code, r.refusal.message, { reason: r.refusal.reason });
    return r.value;
  }

  /** Refuses (audited, 403) a help-desk recovery the person's policy does not allow. */
  private async requireHelpdesk(agent: Agent, userId: string, extra: Record<string, unknown>): Promise<void> {
    const policy = await this.policyFor(this.ctx.store.db, userId);
    if (pathAllowed(policy, 'helpdesk')) return;
    await auditPathRefused(this.ctx, agent, userId, 'helpdesk', policy, extra);
    throw pathRefused('helpdesk', policy);
  }

  private async person(db: Db, id: string): Promise<UserRow> {
    const person = await usersRepo.byId(db, id);
    if (!person) throw new AppError('NOT_FOUND', `no person with id ${id}`);
    return person;
  }

  private async load(db: Db, id: string): Promise<RecoveryRequestRow> {
    const row = await recoveryRequestsRepo.byId(db, id);
    if (!row) throw new AppError('NOT_FOUND', `no recovery request with id ${id}`);
    return row;
  }
}
