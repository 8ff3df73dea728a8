import type { Db } from '../store/open-store.js';
import { metricsRepo } from '../store/repos/metrics.js';
import { ratio } from './quantiles.js';
import { SECOND_FACTOR_KINDS } from './second-factors.js';

/** One row of the funnel: active people → with a factor issued → with a factor active. */
export interface FunnelStage {
  /** Group name; '' for everyone. */
  group: string;
  invited: number;
  started: number;
  completed: number;
  completionRatio: number;
}

/** The enrolment funnel overall and per group. */
export interface EnrolmentFunnel {
  overall: FunnelStage;
  byGroup: FunnelStage[];
}

/**
 * The enrolment funnel over active people. Until enrolment requirements exist (migration 0006),
 * "invited" is every active person, "started" those with any second factor issued and
 * "completed" those holding an active one.
 */
export async function enrolmentFunnel(db: Db): Promise<EnrolmentFunnel> {
  const rows = await metricsRepo.funnelByGroup(db, SECOND_FACTOR_KINDS);
  const stages = rows.map((r) => ({
    group: r.group,
    invited: r.people,
    started: r.started,
    completed: r.completed,
    completionRatio: ratio(r.completed, r.people),
  }));
  const overall = stages.find((s) => s.group === '') ?? {
    group: '',
    invited: 0,
    started: 0,
    completed: 0,
    completionRatio: 0,
  };
  return { overall, byGroup: stages.filter((s) => s.group !== '') };
}
