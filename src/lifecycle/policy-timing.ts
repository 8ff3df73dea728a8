import type { Evaluation, Source } from '../policy/evaluate.js';
import type { Requirement } from '../policy/policy-model.js';
import type { RequirementPlan } from './evaluate-rules.js';

/** When a requirement is due and when its reminders go out: the person's policy decides (issue 5). */
export interface EnrolmentTiming {
  /** Days from opening to the deadline (policy `graceDays`). */
  graceDays: number;
  /** Days after opening on which reminders go out, ascending (from policy `reminderDays`, days before the deadline). */
  reminderDays: number[];
  /** Where the two values came from, for the audit trail. */
  decidedBy: { graceDays: Source[]; reminderDays: Source[] };
}

/** A rule's plan (what to do) with the policy's timing (when). */
export type TimedPlan = RequirementPlan & EnrolmentTiming;

/**
 * The timing policy sets for a person: the grace period, and the reminders, which policy counts
 * in days before the deadline, turned into days after opening (those on or before the opening
 * day are dropped). Pure.
 */
export function timingOf(e: Pick<Evaluation, 'fields'> & { requirement: Requirement }): EnrolmentTiming {
  const { graceDays, reminderDays } = e.requirement;
  const after = [...new Set(reminderDays.map((d) => graceDays - d).filter((d) => d > 0))].sort(
    (a, b) => a - b,
  );
  return {
    graceDays,
    reminderDays: after,
    decidedBy: { graceDays: e.fields.graceDays.from, reminderDays: e.fields.reminderDays.from },
  };
}
