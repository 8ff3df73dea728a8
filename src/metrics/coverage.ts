import type { EnrolmentFunnel } from './enrolment-funnel.js';

/** Share of active people holding at least one active second factor, overall and per group. */
export interface Coverage {
  ratio: number;
  byGroup: Array<{ group: string; people: number; covered: number; ratio: number }>;
}

/**
 * Coverage read off the funnel's counts (the same query: a covered person is one whose
 * enrolment completed), so the two figures can never disagree.
 */
export function coverage(funnel: EnrolmentFunnel): Coverage {
  return {
    ratio: funnel.overall.completionRatio,
    byGroup: funnel.byGroup.map((g) => ({
      group: g.group,
      people: g.invited,
      covered: g.completed,
      ratio: g.completionRatio,
    })),
  };
}
