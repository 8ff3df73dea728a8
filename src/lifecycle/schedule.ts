/**
 * One day in ms: reminder and escalation days count from the moment a requirement's grace period
 * started (its opening, or the person's start date when that was still ahead).
 */
export const DAY_MS = 24 * 60 * 60 * 1000;

/** The timing of an open requirement, as its row keeps it. */
export interface RequirementTiming {
  /** When the grace period started (`counts_from`). */
  countsFrom: number;
  deadline: number;
  reminderDays: readonly number[];
  remindersSent: number;
  escalateAt: number | null;
  escalatedAt: number | null;
}

/** What a sweep at `now` does for one open requirement. */
export interface SweepStep {
  /** Send one reminder now (several missed ones collapse into one). */
  remind: boolean;
  /** Tell the manager now. */
  escalate: boolean;
  /** The reminder count after this step. */
  remindersSent: number;
  /** When the next step is due (null: nothing more to do but wait for the person). */
  nextActionAt: number | null;
}

/** Reminder times that fall before the deadline, in order. */
function reminderTimes(t: Pick<RequirementTiming, 'countsFrom' | 'deadline' | 'reminderDays'>): number[] {
  return t.reminderDays.map((d) => t.countsFrom + d * DAY_MS).filter((at) => at < t.deadline);
}

/** When the next reminder or escalation is due after `remindersSent` reminders, or null. */
export function nextActionAt(t: RequirementTiming): number | null {
  const next = reminderTimes(t)[t.remindersSent];
  const escalation = t.escalatedAt === null ? t.escalateAt : null;
  const due = [next, escalation].filter((x): x is number => x !== undefined && x !== null);
  return due.length > 0 ? Math.min(...due) : null;
}

/**
 * The sweep's decision for one requirement at `now` (pure): a reminder when a reminder day has
 * passed since the last one, the escalation once its day has come. A sweep that ran late sends
 * one reminder for all the days it missed, never a burst.
 */
export function sweepStep(t: RequirementTiming, now: number): SweepStep {
  const due = reminderTimes(t).filter((at) => at <= now).length;
  const remind = due > t.remindersSent && now < t.deadline;
  const remindersSent = Math.max(t.remindersSent, due);
  const escalate = t.escalatedAt === null && t.escalateAt !== null && t.escalateAt <= now;
  const after = { ...t, remindersSent, escalatedAt: escalate ? now : t.escalatedAt };
  return { remind, escalate, remindersSent, nextActionAt: nextActionAt(after) };
}
