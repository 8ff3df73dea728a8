import type { Db } from '../store/open-store.js';
import { metricsRepo } from '../store/repos/metrics.js';
import { ratio } from './quantiles.js';
import { PHISHING_RESISTANT_KINDS, SECOND_FACTOR_KINDS } from './second-factors.js';

/** Owned authenticators by type and state, and the phishing-resistant share of active factors. */
export interface FactorMix {
  byTypeState: Array<{ type: string; state: string; count: number }>;
  /** Active second factors by type (recovery codes and passes are not second factors). */
  activeByType: Record<string, number>;
  phishingResistantRatio: number;
}

/** The factor mix; which types resist phishing comes from each type's own description. */
export async function factorMix(db: Db): Promise<FactorMix> {
  const rows = await metricsRepo.factorsByTypeState(db);
  const activeByType: Record<string, number> = {};
  for (const kind of SECOND_FACTOR_KINDS) activeByType[kind] = 0;
  let active = 0;
  let resistant = 0;
  for (const r of rows) {
    if (r.state !== 'active' || !SECOND_FACTOR_KINDS.includes(r.type)) continue;
    activeByType[r.type] = (activeByType[r.type] ?? 0) + r.n;
    active += r.n;
    if (PHISHING_RESISTANT_KINDS.has(r.type)) resistant += r.n;
  }
  return {
    byTypeState: rows.map((r) => ({ type: r.type, state: r.state, count: r.n })),
    activeByType,
    phishingResistantRatio: ratio(resistant, active),
  };
}
