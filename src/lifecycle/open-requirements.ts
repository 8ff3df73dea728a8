import type { Actor, AuditEntry } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import type { JobService } from '../jobs/job-service.js';
import type { MailService } from '../notify/mail-service.js';
import type { PolicyService } from '../policy/policy-service.js';
import type { Db } from '../store/open-store.js';
import { enrolmentInvitationsRepo } from '../store/repos/enrolment-invitations.js';
import { enrolmentRequirementsRepo } from '../store/repos/enrolment-requirements.js';
import type { EnrolmentRequirementRow } from '../store/schema.js';
import type { RequirementPlan } from './evaluate-rules.js';
import { type FactorFacts, factorsThatNoLongerCount, holdsSecondFactor } from './factor-fit.js';
import { type Addressee, composeNotice, type Notice } from './notices.js';
import { type EnrolmentTiming, timingOf } from './policy-timing.js';
import { countsFromFor, requirementRow } from './requirement-row.js';
import { sweepJob } from './sweep-schedule.js';

/** What the engine needs besides the context: mail to send and jobs to schedule. */
export interface EngineDeps {
  ctx: Context;
  mail: MailService;
  jobs: JobService;
  /** The one policy evaluator: the grace period and reminders of each requirement. */
  policy: PolicyService;
}

/** One person's new requirement: who, what the rules decided, and the factors they hold now. */
export interface Opening {
  person: Addressee;
  plan: RequirementPlan;
  factors: readonly FactorFacts[];
  /** No first notice now: another step delivers it (a day-one pass to the manager); the audit says which. */
  deferNotice?: string;
  /** The person's start date: while it is ahead, the grace period starts on it, not now. */
  startDate?: number | null;
}

/**
 * Opens requirements inside the caller's transaction, in a few multi-row writes (an import
 * opens a thousand at once): the rows, the first notice of each (an invitation with a single-
 * use link, or a pointer to the account page for someone who already has a factor), the audit
 * events, and the sweep that will send reminders. Factors that stop counting are flagged.
 */
export async function openRequirements(
  trx: Db,
  deps: EngineDeps,
  actor: Actor,
  openings: readonly Opening[],
): Promise<EnrolmentRequirementRow[]> {
  if (openings.length === 0) return [];
  const now = deps.ctx.clock.now();
  const timings = await timingsOf(trx, deps, [...new Set(openings.map((o) => o.person.id))]);
  const rows = openings.map((o) =>
    requirementRow(
      o.person.id,
      { ...o.plan, ...timings.get(o.person.id)! },
      now,
      countsFromFor(o.startDate ?? null, now),
    ),
  );
  await enrolmentRequirementsRepo.insertMany(trx, rows);
  const notices: Notice[] = [];
  const audit: AuditEntry[] = [];
  openings.forEach((o, i) => {
    const row = rows[i]!;
    const holdsFactor = holdsSecondFactor(o.factors);
    const notice = o.deferNotice
      ? undefined
      : composeNotice(deps.mail.env, o.person, row, { reminder: false, holdsFactor, now });
    if (notice) notices.push(notice);
    audit.push({
      action: 'lifecycle.requirement_opened',
      subject: o.person.id,
      details: {
        requirementId: row.id,
        reason: o.plan.reason,
        requiredTypes: o.plan.requiredTypes,
        phishingResistant: o.plan.phishingResistant,
        deadline: new Date(row.deadline).toISOString(),
        countsFrom: new Date(row.counts_from).toISOString(),
        reminderDays: JSON.parse(row.reminder_days),
        timingFrom: timings.get(o.person.id)!.decidedBy,
        rules: o.plan.ruleIds,
        notice:
          o.deferNotice ??
          (notice ? (notice.invitation ? 'invitation' : 'account') : 'none: no e-mail address'),
      },
    });
    for (const f of holdsFactor ? factorsThatNoLongerCount(o.factors, o.plan) : []) {
      audit.push({
        action: 'lifecycle.factor_no_longer_counts',
        subject: o.person.id,
        details: { authenticatorId: f.id, type: f.type, requirementId: row.id },
      });
    }
  });
  await queueNotices(trx, deps, notices);
  await deps.ctx.audit.append(trx, actor, ...audit);
  await scheduleSweepFor(trx, deps.jobs, rows);
  return rows;
}

/** The enrolment timing the policy sets for each person (read through `trx`, a few queries for all). */
export async function timingsOf(
  trx: Db,
  deps: Pick<EngineDeps, 'policy'>,
  userIds: readonly string[],
): Promise<Map<string, EnrolmentTiming>> {
  const evaluations = await deps.policy.requirementsIn(trx, userIds);
  return new Map([...evaluations].map(([id, e]) => [id, timingOf(e)]));
}

/** Stores the notices' invitations and queues their mails (one multi-row write each). */
export async function queueNotices(trx: Db, deps: EngineDeps, notices: readonly Notice[]): Promise<void> {
  const invitations = notices.flatMap((n) => (n.invitation ? [n.invitation] : []));
  await enrolmentInvitationsRepo.insertMany(trx, invitations);
  await deps.mail.queueMany(
    trx,
    notices.map((n) => ({ to: n.to, mail: n.mail, idempotencyKey: n.idempotencyKey })),
  );
}

/** Makes sure a sweep runs by the earliest step the rows are waiting for. */
export async function scheduleSweepFor(
  trx: Db,
  jobs: JobService,
  rows: ReadonlyArray<Pick<EnrolmentRequirementRow, 'next_action_at'>>,
): Promise<void> {
  let first: number | null = null;
  for (const r of rows) {
    if (r.next_action_at !== null && (first === null || r.next_action_at < first)) first = r.next_action_at;
  }
  if (first !== null) await jobs.enqueue(trx, sweepJob(first));
}
