import { describe, expect, it } from 'vitest';
import { countsFromFor, rescheduled } from './requirement-row.js';
import { DAY_MS } from './schedule.js';
import { startPassRunAt } from './start-pass.js';

const T0 = Date.UTC(2026, 10, 28, 12);
const START = Date.UTC(2026, 11, 8);

describe('when a grace period starts', () => {
  it('on a start date still ahead, else at once', () => {
    expect(countsFromFor(START, T0)).toBe(START);
    expect(countsFromFor(null, T0)).toBe(T0);
    expect(countsFromFor(Date.UTC(2026, 10, 1), T0)).toBe(T0);
    expect(countsFromFor(T0, T0)).toBe(T0);
  });
});

describe('moving an open requirement to a new start', () => {
  const row = {
    counts_from: START,
    deadline: START + 14 * DAY_MS,
    escalate_at: START + 7 * DAY_MS,
    escalated_at: null,
    reminder_days: JSON.stringify([1, 3, 6]),
    reminders_sent: 0,
  };

  it('keeps the deadline, reminders and escalation at their distance from it', () => {
    const later = START + 7 * DAY_MS;
    expect(rescheduled(row, later)).toEqual({
      counts_from: later,
      deadline: later + 14 * DAY_MS,
      escalate_at: later + 7 * DAY_MS,
      next_action_at: later + DAY_MS,
    });
  });

  it('keeps reminders already sent sent and an escalation already made made', () => {
    const sent = { ...row, reminders_sent: 2, escalated_at: START + 7 * DAY_MS };
    const later = START + 2 * DAY_MS;
    expect(rescheduled(sent, later)).toEqual({
      counts_from: later,
      deadline: later + 14 * DAY_MS,
      escalate_at: START + 7 * DAY_MS,
      next_action_at: later + 6 * DAY_MS,
    });
  });
});

describe('when the manager gets the day-one pass', () => {
  it('N days before the start date, never in the past; now when there is no date ahead', () => {
    expect(startPassRunAt(START, 3, T0)).toBe(START - 3 * DAY_MS);
    expect(startPassRunAt(START, 30, T0)).toBe(T0);
    expect(startPassRunAt(null, 3, T0)).toBe(T0);
    expect(startPassRunAt(T0 - DAY_MS, 3, T0)).toBe(T0);
  });
});
