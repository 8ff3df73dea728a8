import type { Actor, AuditEntry } from '../audit/audit-log.js';
import type { Db } from '../store/open-store.js';
import { enrolmentInvitationsRepo } from '../store/repos/enrolment-invitations.js';
import { enrolmentRequirementsRepo } from '../store/repos/enrolment-requirements.js';
import { groupsRepo } from '../store/repos/groups.js';
import { jobsRepo } from '../store/repos/jobs.js';
import { usersRepo } from '../store/repos/users.js';
import type { EnrolmentRequirementRow } from '../store/schema.js';
import { evaluateRules } from './evaluate-rules.js';
import { type EngineDeps, scheduleSweepFor } from './open-requirements.js';
import { countsFromFor, rescheduled } from './requirement-row.js';
import { loadRules } from './rule-service.js';
import { JOINER_START_PASS, startPassDaysBefore, startPassRunAt } from './start-pass.js';

/** A compare-and-set that lost to a sweep step is read again and retried this many times. */
const ATTEMPTS = 3;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * A person's start date changed (SCIM, the admin API or `import users`), inside the
 * transaction that changed it. Every open requirement's grace period moves to the new start
 * date while that is ahead; a start date moved into the past, or removed, starts a grace
 * period that had not begun yet at once (never retroactively: nobody's deadline passes
 * because of the change). Deadlines, reminders, a pending escalation and the unused links'
 * expiry move with it; reminders already sent stay sent. A day-one pass job not yet run moves
 * to its rule's N days before the new date (or runs now, sending the invitation, when there is
 * no date ahead any more); a pass already sent keeps its window, and the audit says so.
 */
export async function rescheduleForStartDate(
  trx: Db,
  deps: Pick<EngineDeps, 'ctx' | 'jobs'>,
  actor: Actor,
  userId: string,
): Promise<void> {
  const person = await usersRepo.byId(trx, userId);
  if (person?.status !== 'active') return;
  const now = deps.ctx.clock.now();
  const target = countsFromFor(person.start_date, now);
  const audit: AuditEntry[] = [];
  const moved: EnrolmentRequirementRow[] = [];
  for (const first of await enrolmentRequirementsRepo.openForUser(trx, userId)) {
    let req: EnrolmentRequirementRow | undefined = first;
    for (let attempt = 0; req && attempt < ATTEMPTS; attempt++) {
      // A grace period already running is left alone unless the new start date is ahead.
      if (req.counts_from === target || (target === now && req.counts_from <= now)) break;
      const w = rescheduled(req, target);
      if (await enrolmentRequirementsRepo.reschedule(trx, req, w)) {
        await enrolmentInvitationsRepo.expireAt(trx, req.id, w.deadline);
        moved.push({ ...req, ...w });
        audit.push({
          action: 'lifecycle.requirement_rescheduled',
          subject: userId,
          details: {
            requirementId: req.id,
            reason: 'start date changed',
            startDate: iso(person.start_date),
            countsFrom: { from: iso(req.counts_from), to: iso(w.counts_from) },
            deadline: { from: iso(req.deadline), to: iso(w.deadline) },
          },
        });
        break;
      }
      // A sweep step won the race: read it again (it may have been met or cancelled meanwhile).
      req = await enrolmentRequirementsRepo.byId(trx, req.id);
      if (req && (req.met_at !== null || req.cancelled_at !== null)) req = undefined;
    }
    if (first.reason === 'joiner') audit.push(...(await moveStartPass(trx, first, person.start_date, now)));
  }
  await scheduleSweepFor(trx, deps.jobs, moved);
  if (audit.length > 0) await deps.ctx.audit.append(trx, actor, ...audit);
}

/** Moves the requirement's day-one pass job, if it has one that has not run; the audit entries it takes. */
async function moveStartPass(
  trx: Db,
  req: EnrolmentRequirementRow,
  startDate: number | null,
  now: number,
): Promise<AuditEntry[]> {
  const key = `${JOINER_START_PASS}:${req.id}`;
  const job = await jobsRepo.byIdempotencyKey(trx, key);
  if (!job) return [];
  const details = { requirementId: req.id, startDate: iso(startDate) };
  if (job.state !== 'queued') {
    return [
      {
        action: 'lifecycle.start_pass_not_rescheduled',
        subject: req.user_id,
        details: { ...details, reason: `the pass job is ${job.state}: a pass already sent keeps its window` },
      },
    ];
  }
  const daysBefore =
    startPassDaysBefore(JSON.parse(job.payload)) ?? (await currentDaysBefore(trx, req.user_id));
  const runAt = startPassRunAt(startDate, daysBefore, now);
  if (runAt === job.run_at || !(await jobsRepo.rescheduleQueued(trx, key, runAt, now))) return [];
  return [
    {
      action: 'lifecycle.start_pass_rescheduled',
      subject: req.user_id,
      details: { ...details, sendAt: { from: iso(job.run_at), to: iso(runAt) } },
    },
  ];
}

/** For a pass job queued before jobs kept their `daysBefore`: what the joiner rules ask now. */
async function currentDaysBefore(trx: Db, userId: string): Promise<number> {
  const groups = await groupsRepo.namesOf(trx, userId);
  const d = evaluateRules({ kind: 'joined', groups }, await loadRules(trx, ['joiner', 'mover']));
  return d.passToManager?.daysBefore ?? 0;
}
