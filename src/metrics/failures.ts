import type { Db } from '../store/open-store.js';
import { metricsRepo, type WindowPair } from '../store/repos/metrics.js';

const HOUR_MS = 3_600_000;
/** Every refused presentation of something a person holds, on any path. */
export const FAILURE_ACTIONS = [
  'validation.rejected',
  'sso.sign_in_failed',
  'recovery_code.rejected',
  'access_pass.rejected',
] as const;

/** Failed verifications in recent windows, and who is locked out right now. */
export interface Failures {
  last24h: WindowPair;
  last7d: WindowPair;
  byAction7d: Record<string, number>;
  throttledAccounts: number;
}

function total(counts: Record<string, WindowPair>): WindowPair {
  const out = { current: 0, previous: 0 };
  for (const c of Object.values(counts)) {
    out.current += c.current;
    out.previous += c.previous;
  }
  return out;
}

/** Failures from the audit trail; throttled accounts from the one failure counter (locked_until > now). */
export async function failures(db: Db, now: number): Promise<Failures> {
  const [day, week, throttledAccounts] = await Promise.all([
    metricsRepo.actionsInWindows(db, FAILURE_ACTIONS, now, 24 * HOUR_MS),
    metricsRepo.actionsInWindows(db, FAILURE_ACTIONS, now, 7 * 24 * HOUR_MS),
    metricsRepo.throttledPeople(db, now),
  ]);
  return {
    last24h: total(day),
    last7d: total(week),
    byAction7d: Object.fromEntries(FAILURE_ACTIONS.map((a) => [a, week[a]?.current ?? 0])),
    throttledAccounts,
  };
}
