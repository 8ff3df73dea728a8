import type { WindowPair } from '../store/repos/metrics.js';
import type { Coverage } from './coverage.js';
import type { EnrolmentFunnel } from './enrolment-funnel.js';
import type { FactorMix } from './factor-mix.js';
import type { Failures } from './failures.js';
import type { Resets } from './resets.js';
import type { TimeToEnrol } from './time-to-enrol.js';

/** Every friction figure at one moment: what the dashboard API returns and /metrics exposes. */
export interface DashboardSnapshot {
  generatedAt: string;
  people: { byStatus: Record<string, number>; active: number; joinersWeekOverWeek: WindowPair };
  enrolment: EnrolmentFunnel;
  timeToEnrol: TimeToEnrol;
  resets: Resets;
  factors: FactorMix;
  failures: Failures;
  coverage: Coverage;
  jobs: Record<string, number>;
  auditEvents: number;
}
