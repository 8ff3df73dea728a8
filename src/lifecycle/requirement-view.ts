import type { EnrolmentRequirementRow } from '../store/schema.js';
import { acceptanceOf } from './requirement-row.js';

/** Where a requirement stands. */
export type RequirementStatus = 'open' | 'overdue' | 'met' | 'cancelled';

/** A requirement as the API shows it. */
export interface RequirementView {
  id: string;
  reason: 'joiner' | 'mover';
  status: RequirementStatus;
  requiredTypes: string[];
  phishingResistant: boolean;
  deadline: string;
  createdAt: string;
  /** When the grace period started: the start date when it was ahead at opening, else createdAt. */
  countsFrom: string;
  metAt: string | null;
  metByAuthenticatorId: string | null;
  /** met_at - created_at: the friction figure. */
  timeToEnrolSeconds: number | null;
  remindersSent: number;
  lastReminderAt: string | null;
  escalatedAt: string | null;
  cancelledAt: string | null;
  rules: string[];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Shapes a row for the API, its status as of `now`. */
export function toRequirementView(row: EnrolmentRequirementRow, now: number): RequirementView {
  const status: RequirementStatus =
    row.met_at !== null
      ? 'met'
      : row.cancelled_at !== null
        ? 'cancelled'
        : now >= row.deadline
          ? 'overdue'
          : 'open';
  const a = acceptanceOf(row);
  return {
    id: row.id,
    reason: row.reason,
    status,
    requiredTypes: [...a.requiredTypes],
    phishingResistant: a.phishingResistant,
    deadline: new Date(row.deadline).toISOString(),
    createdAt: new Date(row.created_at).toISOString(),
    countsFrom: new Date(row.counts_from).toISOString(),
    metAt: iso(row.met_at),
    metByAuthenticatorId: row.met_by_authenticator_id,
    timeToEnrolSeconds: row.met_at === null ? null : Math.round((row.met_at - row.created_at) / 1000),
    remindersSent: row.reminders_sent,
    lastReminderAt: iso(row.last_reminder_at),
    escalatedAt: iso(row.escalated_at),
    cancelledAt: iso(row.cancelled_at),
    rules: JSON.parse(row.rule_ids) as string[],
  };
}
