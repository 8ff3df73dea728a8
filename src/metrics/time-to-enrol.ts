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

/** The width of the buckets the durations are counted in before a rank is looked up (ms). */
const RANK_BUCKET_MS = HOUR_MS;

/**
 * Time to enrol = first second-factor activation − person creation, over the per-person tally
 * (migration 0011). One pass counts the window's durations per hour (the buckets below are whole
 * hours, so they add up from it); a percentile then walks the index only inside the hour that
 * holds its rank (nearest rank, as `quantile` does). No duration row crosses to the process.
 */
export async function timeToEnrol(db: Db, now: number): Promise<TimeToEnrol> {
  const since = now - TIME_TO_ENROL_WINDOW_DAYS * 24 * HOUR_MS;
  const histogram = await metricsRepo.enrolmentHistogram(db, since, RANK_BUCKET_MS);
  const count = histogram.reduce((n, h) => n + h.n, 0);
  const atOrBelow = (ms: number) =>
    histogram.filter((h) => h.bucket * RANK_BUCKET_MS <= ms).reduce((n, h) => n + h.n, 0);
  const seconds = async (q: number) => {
    if (count === 0) return null;
    const rank = nearestRank(count, q);
    let before = 0;
    for (const h of histogram) {
      if (before + h.n >= rank) {
        if (h.bucket === 0) return 0;
        const range = { above: (h.bucket - 1) * RANK_BUCKET_MS, atMost: h.bucket * RANK_BUCKET_MS };
        return (await metricsRepo.enrolmentDurationAtRank(db, since, rank - before, range)) / 1000;
      }
      before += h.n;
    }
    return null;
  };
  const [medianSeconds, p90Seconds] = await Promise.all([seconds(0.5), seconds(0.9)]);
  return {
    windowDays: TIME_TO_ENROL_WINDOW_DAYS,
    count,
    medianSeconds,
    p90Seconds,
    buckets: [
      ...TIME_TO_ENROL_BUCKETS_HOURS.map((leHours) => ({ leHours, count: atOrBelow(leHours * HOUR_MS) })),
      { leHours: null, count },
    ],
  };
}
