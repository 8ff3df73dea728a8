import { newId } from '../crypto/random.js';
import type { EnrolmentRequirementRow } from '../store/schema.js';
import type { Acceptance } from './factor-fit.js';
import type { TimedPlan } from './policy-timing.js';
import { DAY_MS, nextActionAt } from './schedule.js';

/**
 * When a grace period opened at `now` starts: on the person's start date while that is still
 * ahead (nobody is chased before day one), else at once. Pure.
 */
export function countsFromFor(startDate: number | null, now: number): number {
  return startDate !== null && startDate > now ? startDate : now;
}

/**
 * A new, open requirement row for a plan: the deadline and the schedule are fixed now, counted
 * from `countsFrom` (countsFromFor).
 */
export function requirementRow(
  userId: string,
  plan: TimedPlan,
  now: number,
  countsFrom = now,
): EnrolmentRequirementRow {
  const deadline = countsFrom + plan.graceDays * DAY_MS;
  const escalateAt = plan.escalateAfterDays === null ? null : countsFrom + plan.escalateAfterDays * DAY_MS;
  return {
    id: newId(),
    user_id: userId,
    reason: plan.reason,
    required_types: JSON.stringify(plan.requiredTypes),
    phishing_resistant: plan.phishingResistant ? 1 : 0,
    deadline,
    created_at: now,
    counts_from: countsFrom,
    met_at: null,
    met_by_authenticator_id: null,
    escalated_at: null,
    last_reminder_at: null,
    reminders_sent: 0,
    rule_ids: JSON.stringify(plan.ruleIds),
    trigger_groups: JSON.stringify(plan.triggerGroups),
    reminder_days: JSON.stringify(plan.reminderDays),
    escalate_at: escalateAt,
    next_action_at: nextActionAt({
      countsFrom,
      deadline,
      reminderDays: plan.reminderDays,
      remindersSent: 0,
      escalateAt,
      escalatedAt: null,
    }),
    cancelled_at: null,
  };
}

/** What a stored requirement accepts. */
export function acceptanceOf(
  row: Pick<EnrolmentRequirementRow, 'required_types' | 'phishing_resistant'>,
): Acceptance {
  return {
    requiredTypes: JSON.parse(row.required_types) as string[],
    phishingResistant: row.phishing_resistant === 1,
  };
}

/**
 * Whether an open requirement already asks for at least as much, as soon: then a new one would
 * only repeat it (a mover into a second privileged group).
 */
export function covers(open: EnrolmentRequirementRow, plan: TimedPlan, countsFrom: number): boolean {
  const a = acceptanceOf(open);
  return (
    (a.phishingResistant || !plan.phishingResistant) &&
    a.requiredTypes.every((t) => (plan.requiredTypes as string[]).includes(t)) &&
    open.deadline <= countsFrom + plan.graceDays * DAY_MS
  );
}

/** What moving an open requirement's grace period to start at `countsFrom` writes. */
export interface Rescheduled {
  counts_from: number;
  deadline: number;
  escalate_at: number | null;
  next_action_at: number | null;
}

/**
 * An open requirement's schedule moved to start at `countsFrom` (a changed start date): the
 * deadline, the reminder days and a pending escalation keep their distance from it; reminders
 * already sent stay sent, an escalation already made stays made. Pure.
 */
export function rescheduled(
  row: Pick<
    EnrolmentRequirementRow,
    'counts_from' | 'deadline' | 'escalate_at' | 'escalated_at' | 'reminder_days' | 'reminders_sent'
  >,
  countsFrom: number,
): Rescheduled {
  const shift = countsFrom - row.counts_from;
  const deadline = row.deadline + shift;
  const escalateAt =
    row.escalate_at === null || row.escalated_at !== null ? row.escalate_at : row.escalate_at + shift;
  return {
    counts_from: countsFrom,
    deadline,
    escalate_at: escalateAt,
    next_action_at: nextActionAt({
      countsFrom,
      deadline,
      reminderDays: JSON.parse(row.reminder_days) as number[],
      remindersSent: row.reminders_sent,
      escalateAt,
      escalatedAt: row.escalated_at,
    }),
  };
}
