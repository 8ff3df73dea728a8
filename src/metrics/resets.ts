import type { Db } from '../store/open-store.js';
import { metricsRepo, type WindowPair } from '../store/repos/metrics.js';
import { ratio } from './quantiles.js';

const DAY_MS = 86_400_000;
/** Recoveries the person does alone (a recovery code). */
const SELF_SERVICE = ['recovery_code.redeemed'] as const;
/** Recoveries that needed the help desk: a pass it issued was redeemed, or it marked a device lost. */
const ASSISTED = ['access_pass.redeemed', 'authenticator.lost'] as const;
const RECOVERY_ACTIONS = [...SELF_SERVICE, ...ASSISTED];

/** Recoveries (resets) per 100 active people over 30 days, and how many needed the help desk. */
export interface Resets {
  last30d: number;
  previous30d: number;
  per100People30d: number;
  helpdeskAssistedShare: number;
  byAction: Record<string, number>;
  /** Week over week: the last 7 days against the 7 before. */
  weekOverWeek: WindowPair;
}

function sum(counts: Record<string, WindowPair>, actions: readonly string[], key: keyof WindowPair) {
  return actions.reduce((n, a) => n + (counts[a]?.[key] ?? 0), 0);
}

/** Resets from the audit trail: recovery-code and access-pass redemptions and lost devices. */
export async function resets(db: Db, now: number, activePeople: number): Promise<Resets> {
  const [month, week] = await Promise.all([
    metricsRepo.actionsInWindows(db, RECOVERY_ACTIONS, now, 30 * DAY_MS),
    metricsRepo.actionsInWindows(db, RECOVERY_ACTIONS, now, 7 * DAY_MS),
  ]);
  const last30d = sum(month, RECOVERY_ACTIONS, 'current');
  return {
    last30d,
    previous30d: sum(month, RECOVERY_ACTIONS, 'previous'),
    per100People30d: ratio(last30d, activePeople) * 100,
    helpdeskAssistedShare: ratio(sum(month, ASSISTED, 'current'), last30d),
    byAction: Object.fromEntries(RECOVERY_ACTIONS.map((a) => [a, month[a]?.current ?? 0])),
    weekOverWeek: {
      current: sum(week, RECOVERY_ACTIONS, 'current'),
      previous: sum(week, RECOVERY_ACTIONS, 'previous'),
    },
  };
}
