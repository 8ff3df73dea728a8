import type { Db } from '../store/open-store.js';
import { metricsRepo } from '../store/repos/metrics.js';
import { ratio } from './quantiles.js';

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
 * The enrolment funnel over active people: "invited" is every active person, "started" those
 * with any second factor issued and "completed" those holding an active one (second factors:
 * SECOND_FACTOR_KINDS, tallied by the triggers of migration 0011).
 */
export async function enrolmentFunnel(db: Db): Promise<EnrolmentFunnel> {
  const rows = await metricsRepo.funnelByGroup(db);
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
