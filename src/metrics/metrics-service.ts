import type { Context } from '../context.js';
import { metricsRepo } from '../store/repos/metrics.js';
import { coverage } from './coverage.js';
import type { DashboardSnapshot } from './dashboard-snapshot.js';
import { enrolmentFunnel } from './enrolment-funnel.js';
import { factorMix } from './factor-mix.js';
import { failures } from './failures.js';
import { resets } from './resets.js';
import { timeToEnrol } from './time-to-enrol.js';

/**
 * How long a computed snapshot is served again (ms). /metrics is scraped often (every 15–60 s,
 * by every Prometheus replica) and the figures are aggregates over whole tables, so one
 * computation serves every scrape and dashboard view in this window. The cache only serves
 * figures for people to read; nothing that decides security ever reads it.
 */
export const SNAPSHOT_TTL_MS = 15_000;
const WEEK_MS = 7 * 86_400_000;

/** The friction figures (DESIGN.md "Measure friction"), computed read-only from the store. */
export class MetricsService {
  private cached: { at: number; snapshot: Promise<DashboardSnapshot> } | undefined;

  constructor(private readonly ctx: Context) {}

  /**
   * The dashboard snapshot, from the cache while it is younger than SNAPSHOT_TTL_MS; concurrent
   * callers share one computation. A failed computation is not cached.
   */
  snapshot(): Promise<DashboardSnapshot> {
    const now = this.ctx.clock.now();
    if (this.cached && now - this.cached.at < SNAPSHOT_TTL_MS && now >= this.cached.at) {
      return this.cached.snapshot;
    }
    const snapshot = this.compute(now);
    const entry = { at: now, snapshot };
    this.cached = entry;
    snapshot.catch(() => {
      if (this.cached === entry) this.cached = undefined;
    });
    return snapshot;
  }

  /** Computes every figure now, bypassing the cache. */
  async compute(now: number = this.ctx.clock.now()): Promise<DashboardSnapshot> {
    // The read connection sees committed data and never waits behind a write transaction.
    const db = this.ctx.store.reader;
    // The figures are independent queries, asked all at once: PostgreSQL runs them side by side
    // on connections of the pool (SQLite's one reader takes them in turn, as before).
    const byStatus = metricsRepo.peopleByStatus(db);
    const active = byStatus.then((b) => b.active ?? 0);
    const [people, joiners, funnel, enrol, resetFigures, factors, failureFigures, jobs, auditEvents] =
      await Promise.all([
        byStatus,
        metricsRepo.joinersInWindows(db, now, WEEK_MS),
        enrolmentFunnel(db),
        timeToEnrol(db, now),
        active.then((n) => resets(db, now, n)),
        factorMix(db),
        failures(db, now),
        metricsRepo.jobsByState(db),
        metricsRepo.auditEventCount(db),
      ]);
    return {
      generatedAt: new Date(now).toISOString(),
      people: { byStatus: people, active: await active, joinersWeekOverWeek: joiners },
      enrolment: funnel,
      timeToEnrol: enrol,
      resets: resetFigures,
      factors,
      failures: failureFigures,
      coverage: coverage(funnel),
      jobs,
      auditEvents,
    };
  }
}
