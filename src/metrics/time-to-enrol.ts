import type { Db } from '../store/open-store.js';
import { metricsRepo } from '../store/repos/metrics.js';
import { nearestRank } from './quantiles.js';

const HOUR_MS = 3_600_000;
/** Enrolments counted: those completed in the last 90 days (recent friction, not ancient history). */
export const TIME_TO_ENROL_WINDOW_DAYS = 90;
/** Histogram bounds in hours: within the hour, the morning, the day, 3 days, a week, two weeks. */
export const TIME_TO_ENROL_BUCKETS_HOURS = [1, 4, 24, 72, 168, 336] as const;

/** How long people take from being created to their first active second factor. */
export interface TimeToEnrol {
  windowDays: number;
  count: number;
  medianSeconds: number | null;
  p90Seconds: number | null;
  /** Cumulative: people who enrolled within `leHours`; the last bucket (null = +Inf) is everyone. */
  buckets: Array<{ leHours: number | null; count: number }>;
}

/**
 * Time to enrol = first second-factor activation − person creation, over the per-person tally
 * (migration 0011). The database counts, buckets and ranks the durations (nearest rank, as
 * `quantile` does), so no duration row crosses to the process.
 */
export async function timeToEnrol(db: Db, now: number): Promise<TimeToEnrol> {
  const since = now - TIME_TO_ENROL_WINDOW_DAYS * 24 * HOUR_MS;
  const bounds = TIME_TO_ENROL_BUCKETS_HOURS.map((h) => h * HOUR_MS);
  const { count, atOrBelow } = await metricsRepo.enrolmentCounts(db, since, bounds);
  const seconds = async (q: number) => {
    if (count === 0) return null;
    return (await metricsRepo.enrolmentDurationAtRank(db, since, nearestRank(count, q))) / 1000;
  };
  return {
    windowDays: TIME_TO_ENROL_WINDOW_DAYS,
    count,
    medianSeconds: await seconds(0.5),
    p90Seconds: await seconds(0.9),
    buckets: [
      ...TIME_TO_ENROL_BUCKETS_HOURS.map((leHours, i) => ({ leHours, count: atOrBelow[i] ?? 0 })),
      { leHours: null, count },
    ],
  };
}
