import { performance } from 'node:perf_hooks';
import type { Actor, AuditEntry } from '../audit/audit-log.js';
import type { JobRun } from '../jobs/job-types.js';
import { escalationMail } from '../notify/templates/index.js';
import type { Db } from '../store/open-store.js';
import { authenticatorsRepo } from '../store/repos/authenticators.js';
import { enrolmentRequirementsRepo } from '../store/repos/enrolment-requirements.js';
import { usersRepo } from '../store/repos/users.js';
import type { EnrolmentRequirementRow, UserRow } from '../store/schema.js';
import { holdsSecondFactor } from './factor-fit.js';
import { markMetIfSatisfied } from './mark-met.js';
import { composeNotice, nameOf, type Notice } from './notices.js';
import { type EngineDeps, queueNotices } from './open-requirements.js';
import { sweepStep } from './schedule.js';
import { continuationJob, sweepJob } from './sweep-schedule.js';

const LIFECYCLE: Actor = { label: 'system:lifecycle' };
/** Requirements per transaction. */
const CHUNK = 100;
/** A run stops after this long and continues in a new job, well inside the worker's lease. */
const BUDGET_MS = 60_000;

/** What one sweep did. */
export interface SweepResult {
  met: number;
  reminded: number;
  escalated: number;
  cancelled: number;
}

/**
 * The reminder sweep (job `lifecycle-sweep`): for every open requirement with a step due, it
 * first checks whether the person's factors meet it now (a passkey registered elsewhere), then
 * sends the reminder (with a fresh single-use link) or the escalation to the manager that the
 * schedule asks for. Each step is claimed by a compare-and-set on the requirement, so two
 * sweeps never send one reminder twice. It schedules the next run for the earliest step left.
 */
export class LifecycleSweep {
  constructor(private readonly deps: EngineDeps) {}

  /** The job handler. */
  async handle(run: JobRun): Promise<SweepResult> {
    const { store, clock } = this.deps.ctx;
    const now = clock.now();
    const result: SweepResult = { met: 0, reminded: 0, escalated: 0, cancelled: 0 };
    const started = performance.now();
    for (;;) {
      const due = await enrolmentRequirementsRepo.due(store.db, now, CHUNK);
      if (due.length === 0) break;
      await store.transaction(async (trx) => {
        for (const req of due) await this.step(trx, req, now, result);
      });
      if (due.length < CHUNK) break;
      if (performance.now() - started > BUDGET_MS) {
        await store.transaction((trx) => this.deps.jobs.enqueue(trx, continuationJob(now, run.id)));
        return result;
      }
    }
    const next = await enrolmentRequirementsRepo.earliestNextAction(store.db);
    if (next !== undefined) {
      await store.transaction((trx) => this.deps.jobs.enqueue(trx, sweepJob(Math.max(next, now + 1))));
    }
    return result;
  }

  private async step(trx: Db, req: EnrolmentRequirementRow, now: number, result: SweepResult): Promise<void> {
    const { ctx } = this.deps;
    const person = await usersRepo.byId(trx, req.user_id);
    if (person?.status !== 'active') {
      // Only an active person is reminded; the leaver cancels, this catches a suspension.
      if (await enrolmentRequirementsRepo.cancel(trx, req.id, now)) {
        result.cancelled++;
        await ctx.audit.append(trx, LIFECYCLE, {
          action: 'lifecycle.requirement_cancelled',
          subject: req.user_id,
          details: { requirementId: req.id, reason: `the person is ${person?.status ?? 'gone'}` },
        });
      }
      return;
    }
    const factors = await authenticatorsRepo.forUser(trx, req.user_id);
    if ((await markMetIfSatisfied(trx, ctx, req.user_id, factors)).includes(req.id)) {
      result.met++;
      return;
    }
    const s = sweepStep(
      {
        countsFrom: req.counts_from,
        deadline: req.deadline,
        reminderDays: JSON.parse(req.reminder_days) as number[],
        remindersSent: req.reminders_sent,
        escalateAt: req.escalate_at,
        escalatedAt: req.escalated_at,
      },
      now,
    );
    const claimed = await enrolmentRequirementsRepo.recordSweep(trx, req.id, req.next_action_at!, {
      remindersSent: s.remindersSent,
      lastReminderAt: s.remind ? now : req.last_reminder_at,
      escalatedAt: s.escalate ? now : req.escalated_at,
      nextActionAt: s.nextActionAt,
    });
    if (!claimed) return;
    const notices: Notice[] = [];
    const audit: AuditEntry[] = [];
    if (s.remind) {
      const sent = { ...req, reminders_sent: s.remindersSent };
      const holdsFactor = holdsSecondFactor(factors);
      const notice = composeNotice(this.deps.mail.env, person, sent, { reminder: true, holdsFactor, now });
      if (notice) notices.push(notice);
      result.reminded++;
      audit.push({
        action: 'lifecycle.reminder_sent',
        subject: person.id,
        outcome: notice ? 'success' : 'failure',
        details: {
          requirementId: req.id,
          reminder: s.remindersSent,
          ...(notice ? {} : { reason: 'no e-mail address' }),
        },
      });
    }
    if (s.escalate) {
      const escalation = await this.escalation(trx, person, req);
      if (escalation.notice) notices.push(escalation.notice);
      result.escalated++;
      audit.push({
        action: 'lifecycle.escalated',
        subject: person.id,
        outcome: escalation.notice ? 'success' : 'failure',
        details: { requirementId: req.id, managerId: person.manager_id, ...escalation.why },
      });
    }
    await queueNotices(trx, this.deps, notices);
    await ctx.audit.append(trx, LIFECYCLE, ...audit);
  }

  /** The mail to the person's manager (SCIM enterprise `manager`), or why there is none. */
  private async escalation(
    trx: Db,
    person: UserRow,
    req: EnrolmentRequirementRow,
  ): Promise<{ notice?: Notice; why: Record<string, string> }> {
    const manager = person.manager_id ? await usersRepo.byId(trx, person.manager_id) : undefined;
    if (!manager) return { why: { reason: 'no manager' } };
    if (manager.status !== 'active' || !manager.email)
      return { why: { reason: 'manager has no active address' } };
    const mail = escalationMail(this.deps.mail.env, {
      managerName: nameOf(manager),
      personName: nameOf(person),
      personId: person.id,
      deadline: req.deadline,
    });
    return {
      notice: { to: manager.email, mail, idempotencyKey: `escalation:${req.id}`, invitation: null },
      why: {},
    };
  }
}
