import { newId } from '../crypto/random.js';
import type { EnrolmentRequirementRow } from '../store/schema.js';
import type { Acceptance } from './factor-fit.js';
import type { TimedPlan } from './policy-timing.js';
import { DAY_MS, nextActionAt } from './schedule.js';

/** A new, open requirement row for a plan: the deadline and the schedule are fixed now. */
export function requirementRow(userId: string, plan: TimedPlan, now: number): EnrolmentRequirementRow {
  const deadline = now + plan.graceDays * DAY_MS;
  const escalateAt = plan.escalateAfterDays === null ? null : now + plan.escalateAfterDays * DAY_MS;
  return {
    id: newId(),
    user_id: userId,
    reason: plan.reason,
    required_types: JSON.stringify(plan.requiredTypes),
    phishing_resistant: plan.phishingResistant ? 1 : 0,
    deadline,
    created_at: now,
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
      createdAt: now,
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
export function covers(open: EnrolmentRequirementRow, plan: TimedPlan, now: number): boolean {
  const a = acceptanceOf(open);
  return (
    (a.phishingResistant || !plan.phishingResistant) &&
    a.requiredTypes.every((t) => (plan.requiredTypes as string[]).includes(t)) &&
    open.deadline <= now + plan.graceDays * DAY_MS
  );
}
