import type { Bench } from './context.js';
import type { LoadResult } from './load.js';
import { loadProblems, problemsSuffix, serverCpu } from './report.js';

export const VALIDATION_GOALS = {
  acceptRatio: 0.4,
  throttledRatio: 0.5,
  /** Share of the accept path's answers that must be `accept` (every code sent is fresh and right). */
  acceptShare: 0.999,
  throttledShare: 0.999,
  rssMb: 250,
};

/** The rows of the validation API on SQLite: bare hello (before and after), accept, throttled, RSS. */
export function validationRows(
  b: Bench,
  runs: {
    before: LoadResult;
    after: LoadResult;
    accept: LoadResult;
    throttled: LoadResult;
    lockProblems: string[];
    rss: { rssMb: number; peakRssMb: number };
  },
): number {
  const { before, after, accept, throttled, rss } = runs;
  const G = VALIDATION_GOALS;
  const baseline = (before.goodPerSec + after.goodPerSec) / 2;
  const spread = Math.abs(before.goodPerSec - after.goodPerSec) / baseline;
  if (spread > 0.15)
    b.notes.push(`bare hello varied by ${(spread * 100).toFixed(0)}% between before and after`);
  for (const r of [before, after, accept, throttled]) {
    if (r.driverCpuPercent >= 90) {
      b.notes.push(`${r.name}: the load driver used ${r.driverCpuPercent}% of a core (it may be the limit)`);
    }
  }
  const helloProblems = loadProblems(before, after);
  b.rows.push({
    figure: 'bare node:http hello (baseline)',
    value: baseline,
    unit: 'req/s',
    baseline: null,
    ratio: null,
    goal: 'clean run',
    pass: helloProblems.length === 0,
    note: `before ${Math.round(before.goodPerSec)}, after ${Math.round(after.goodPerSec)}; ${serverCpu(before)}${problemsSuffix(helloProblems)}`,
  });
  const acceptProblems = loadProblems(accept);
  b.rows.push({
    figure: 'validate accept, SQLite (fresh HOTP codes)',
    value: accept.goodPerSec,
    unit: 'accepts/s',
    baseline,
    baselineUnit: 'req/s (bare hello)',
    ratio: accept.goodPerSec / baseline,
    goal: `≥ ${G.acceptRatio}× hello, clean`,
    pass: accept.goodPerSec / baseline >= G.acceptRatio && accept.errors === 0 && accept.timeouts === 0,
    note: `all answers ${Math.round(accept.reqPerSec)} req/s, p50 ${accept.latencyMs.p50} ms, p99 ${accept.latencyMs.p99} ms, ${serverCpu(accept)}${problemsSuffix(acceptProblems)}`,
  });
  b.rows.push({
    figure: 'validate accept: share accepted',
    value: accept.goodShare * 100,
    unit: '%',
    baseline: null,
    ratio: null,
    goal: `≥ ${G.acceptShare * 100}%`,
    pass: accept.goodShare >= G.acceptShare,
    note: Object.entries(accept.byOutcome)
      .map(([o, n]) => `${o} ${n}`)
      .join(', '),
  });
  const throttledProblems = [...runs.lockProblems, ...loadProblems(throttled)];
  b.rows.push({
    figure: 'validate throttled (429)',
    value: throttled.goodPerSec,
    unit: '429/s',
    baseline,
    baselineUnit: 'req/s (bare hello)',
    ratio: throttled.goodPerSec / baseline,
    goal: `≥ ${G.throttledRatio}× hello, clean`,
    pass:
      throttled.goodPerSec / baseline >= G.throttledRatio &&
      throttled.goodShare >= G.throttledShare &&
      throttled.errors === 0 &&
      throttled.timeouts === 0 &&
      runs.lockProblems.length === 0,
    note: `${(throttled.goodShare * 100).toFixed(2)}% 429 with Retry-After, p99 ${throttled.latencyMs.p99} ms, ${serverCpu(throttled)}${problemsSuffix(throttledProblems)}`,
  });
  b.rows.push({
    figure: 'server RSS after the validation loads',
    value: rss.rssMb,
    unit: 'MB',
    baseline: null,
    ratio: null,
    goal: `≤ ${G.rssMb} MB`,
    pass: rss.rssMb <= G.rssMb,
    note: `peak (VmHWM) ${rss.peakRssMb.toFixed(1)} MB`,
  });
  return baseline;
}
