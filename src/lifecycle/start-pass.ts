import { z } from 'zod';
import type { Actor, AuditEntry } from '../audit/audit-log.js';
import type { AuthenticatorService } from '../authenticators/authenticator-service.js';
import type { JobSpec } from '../jobs/job-types.js';
import { PermanentJobError } from '../jobs/job-types.js';
import { passForManagerMail } from '../recovery/pass-for-manager-mail.js';
import { pathAllowed, recoveryInputs, recoveryPolicyFor } from '../recovery/recovery-policy.js';
import { AppError } from '../shared/errors.js';
import type { Db } from '../store/open-store.js';
import { enrolmentRequirementsRepo } from '../store/repos/enrolment-requirements.js';
import { jobsRepo } from '../store/repos/jobs.js';
import { usersRepo } from '../store/repos/users.js';
import type { UserRow } from '../store/schema.js';
import type { Decision } from './evaluate-rules.js';
import { nameOf, composeNotice } from './notices.js';
import { type EngineDeps, queueNotices } from './open-requirements.js';
import { DAY_MS } from './schedule.js';

/** The job kind that hands a joiner's manager the day-one pass. */
export const JOINER_START_PASS = 'joiner-start-pass';

/** The system acts when the job runs (the joiner event's actor is long gone). */
const SYSTEM: Actor = { label: 'system:joiner-start-pass' };

/** What the joiner event knows when it decides: the person's start date and manager. */
export interface StartFacts {
  startDate: number | null;
  managerId: string | null;
}

/** The pass plan for one joiner: scheduled, or why the invitation goes out instead. */
export type StartPassPlan = { runAt: number; ruleId: string; daysBefore: number } | { fallback: string };

/**
 * Whether a joiner's first notice becomes a day-one pass to the manager (pure): the rules ask
 * for it, the start date is known and still ahead, and there is a manager. Otherwise the
 * invitation goes out as usual and `fallback` says why (for the audit trail).
 */
export function planStartPass(d: Decision, facts: StartFacts, now: number): StartPassPlan | undefined {
  const ask = d.passToManager;
  if (!ask || !d.requirement) return undefined;
  if (facts.startDate === null) return { fallback: 'no start date is known' };
  if (facts.startDate <= now) return { fallback: 'the start date has passed' };
  if (facts.managerId === null) return { fallback: 'the person has no manager' };
  return {
    runAt: startPassRunAt(facts.startDate, ask.daysBefore, now),
    ruleId: ask.ruleId,
    daysBefore: ask.daysBefore,
  };
}

/**
 * When the manager gets the pass: `daysBefore` days before the start date, or now when that
 * is past; now also when the start date has passed or is gone (the job then sends the
 * invitation instead). Pure.
 */
export function startPassRunAt(startDate: number | null, daysBefore: number, now: number): number {
  return startDate === null || startDate <= now ? now : Math.max(now, startDate - daysBefore * DAY_MS);
}

/** The durable job (run_at = the day the manager gets the pass); one per requirement. */
export function startPassJob(
  requirementId: string,
  userId: string,
  runAt: number,
  daysBefore: number,
): JobSpec {
  return {
    kind: JOINER_START_PASS,
    // daysBefore: a changed start date moves the job by the rule it was planned with.
    payload: { requirementId, userId, daysBefore },
    idempotencyKey: `${JOINER_START_PASS}:${requirementId}`,
    runAt,
  };
}

const payloadSchema = z.object({
  requirementId: z.string().min(1),
  userId: z.string().min(1),
  daysBefore: z.number().int().min(0).optional(),
});

/** The `daysBefore` a start-pass job was planned with (jobs queued before it was kept: undefined). */
export function startPassDaysBefore(payload: unknown): number | undefined {
  const parsed = payloadSchema.safeParse(payload);
  return parsed.success ? parsed.data.daysBefore : undefined;
}

/** Thrown inside the transaction when another run delivered first: roll back, nothing to do. */
class AlreadyDelivered extends Error {}

/**
 * The job: on the day, issue the pass (usable from the start date until start + the policy's
 * `accessPassMinutes`) and mail it to the manager; or, when that cannot be done (no active
 * manager with an address, policy forbids passes, no start date any more), the invitation mail
 * to the person instead, saying why in the audit event. One transaction; the mail's idempotency
 * key makes a second run (at-least-once delivery) a no-op.
 */
export async function runStartPass(
  deps: EngineDeps & { authenticators: AuthenticatorService },
  payload: unknown,
): Promise<void> {
  const parsed = payloadSchema.safeParse(payload);
  if (!parsed.success) throw new PermanentJobError('malformed joiner-start-pass payload');
  const { requirementId, userId } = parsed.data;
  const key = `${JOINER_START_PASS}:mail:${requirementId}`;
  const { ctx } = deps;
  try {
    await ctx.store.transaction(async (trx) => {
      if (await jobsRepo.byIdempotencyKey(trx, key)) return;
      const now = ctx.clock.now();
      const person = await usersRepo.byId(trx, userId);
      const req = await enrolmentRequirementsRepo.byId(trx, requirementId);
      if (person?.status !== 'active' || !req || req.met_at !== null || req.cancelled_at !== null) {
        await ctx.audit.append(trx, SYSTEM, {
          action: 'lifecycle.start_pass_skipped',
          subject: userId,
          details: { requirementId, reason: 'the person left or the requirement is no longer open' },
        });
        return;
      }
      const audit = (a: AuditEntry) => ctx.audit.append(trx, SYSTEM, a);
      const fallback = async (reason: string) => {
        const notice = composeNotice(deps.mail.env, person, req, {
          reminder: false,
          holdsFactor: false,
          now,
        });
        if (notice) await queueNotices(trx, deps, [{ ...notice, idempotencyKey: key }]);
        await audit({
          action: 'lifecycle.start_pass_fallback',
          subject: userId,
          details: { requirementId, reason, notice: notice ? 'invitation' : 'none: no e-mail address' },
        });
      };
      if (person.start_date === null || person.start_date <= now) {
        return fallback(person.start_date === null ? 'no start date is known' : 'the start date has passed');
      }
      const manager = await activeManager(trx, person);
      if (!manager) return fallback('the person has no active manager with an e-mail address');
      const policy = await recoveryPolicyFor(ctx, deps.policy, trx, userId);
      if (!pathAllowed(policy, 'access_pass')) {
        return fallback('the policy for this person does not allow access passes');
      }
      const issued = await deps.authenticators.issueIn(trx, SYSTEM, userId, {
        type: 'access_pass',
        minutes: policy.passMinutes,
        validFrom: new Date(person.start_date).toISOString(),
        name: 'Day-one pass',
      });
      const expiresAt = Date.parse(String(issued.expiresAt));
      const mail = passForManagerMail(deps.mail.env, {
        managerName: nameOf(manager),
        personName: nameOf(person),
        code: String(issued.code),
        expiresAt,
        reference: requirementId,
        startDate: person.start_date,
      });
      const queued = await deps.mail.queue(trx, manager.email!, mail, { idempotencyKey: key });
      if (!queued.created) throw new AlreadyDelivered();
      await audit({
        action: 'lifecycle.start_pass_sent',
        subject: userId,
        details: {
          requirementId,
          managerId: manager.id,
          passAuthenticatorId: issued.id,
          validFrom: new Date(person.start_date).toISOString(),
          expiresAt: new Date(expiresAt).toISOString(),
          policy: recoveryInputs(policy),
        },
      });
    });
  } catch (err) {
    if (err instanceof AlreadyDelivered) return;
    // A person the policy cannot issue to (e.g. suspended meanwhile) will not change by retrying.
    if (err instanceof AppError && err.code === 'VALIDATION_FAILED') throw new PermanentJobError(err.message);
    throw err;
  }
}

async function activeManager(trx: Db, person: UserRow): Promise<UserRow | undefined> {
  const manager = person.manager_id ? await usersRepo.byId(trx, person.manager_id) : undefined;
  return manager?.email && manager.status === 'active' ? manager : undefined;
}
