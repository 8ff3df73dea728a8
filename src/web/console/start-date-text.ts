import { formatStartDate } from '../../identity/start-date.js';

/**
 * A person's start date (`YYYY-MM-DD`) as the console writes it: `starts on …` while the day is
 * still ahead (as the lifecycle counts it: after `now`), else `past(date)`; '' when unknown.
 */
export function startDateText(
  startDate: string | null,
  now: number,
  past: (date: string) => string = (date) => date,
): string {
  if (startDate === null) return '';
  return startDate > formatStartDate(now) ? `starts on ${startDate}` : past(startDate);
}
