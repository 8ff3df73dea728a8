import type { Db } from '../store/open-store.js';
import { metricsRepo } from '../store/repos/metrics.js';
import { cumulativeBuckets, quantile } from './quantiles.js';
import { SECOND_FACTOR_KINDS } from './second-factors.js';

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
 * Time to enrol = first second-factor activation − person creation. When enrolment
 * requirements land (migration 0006) this becomes met_at − created_at of each requirement.
 */
export async function timeToEnrol(db: Db, now: number): Promise<TimeToEnrol> {
  const since = now - TIME_TO_ENROL_WINDOW_DAYS * 24 * HOUR_MS;
  const durations = await metricsRepo.enrolmentDurations(db, SECOND_FACTOR_KINDS, since);
  const buckets = cumulativeBuckets(
    durations,
    TIME_TO_ENROL_BUCKETS_HOURS.map((h) => h * HOUR_MS),
  ).map((b): { leHours: number | null; count: number } => ({ leHours: b.le / HOUR_MS, count: b.count }));
  const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);
  return {
    windowDays: TIME_TO_ENROL_WINDOW_DAYS,
    count: durations.length,
    medianSeconds: seconds(quantile(durations, 0.5)),
    p90Seconds: seconds(quantile(durations, 0.9)),
    buckets: [...buckets, { leHours: null, count: durations.length }],
  };
}
