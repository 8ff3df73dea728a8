import type { AuditVerifyResult } from './audit-verify.js';
import type { Bench } from './context.js';
import type { DashboardBenchResult } from './dashboard.js';
import type { JoinerWaveResult } from './joiner-wave.js';
import { failedRow } from './report.js';

/**
 * The benchmarks that run in this process, no server: audit verify, the joiner wave, the
 * dashboard. Each module is loaded lazily, so that a missing or broken one shows in its row
 * instead of ending the run.
 */

export const IN_PROCESS_GOALS = {
  auditEventsPerSecond: 200_000,
  joinerWaveSeconds: 60,
  joinerWavePeople: 100_000,
  dashboardP95Ms: 100,
};

type Dialect = 'sqlite' | 'postgres';

async function load<T>(file: string, name: string): Promise<T> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(file)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`bench/${file.slice(2)} could not be loaded: ${(err as Error).message}`);
  }
  const fn = mod[name];
  if (typeof fn !== 'function') throw new Error(`bench/${file.slice(2)} exports no ${name}`);
  return fn as T;
}

export async function auditVerifyRows(b: Bench, dialects: Dialect[], events: number): Promise<void> {
  const goal = `≥ ${IN_PROCESS_GOALS.auditEventsPerSecond.toLocaleString('en')}/s`;
  for (const dialect of dialects) {
    const figure = `audit verify, ${dialect}`;
    try {
      const bench = await load<(o: { dialect: Dialect; events: number }) => Promise<AuditVerifyResult>>(
        './audit-verify.js',
        'benchAuditVerify',
      );
      b.log(`audit verify ${dialect}: ${events} events (filling the chain is not timed)`);
      const r = await bench({ dialect, events });
      b.log(`audit verify ${dialect}: ${r.events} events in ${r.seconds.toFixed(2)} s`);
      b.rows.push({
        figure,
        value: r.eventsPerSecond,
        unit: 'events/s',
        baseline: null,
        ratio: null,
        goal,
        pass: r.eventsPerSecond >= IN_PROCESS_GOALS.auditEventsPerSecond,
        note: `${r.events.toLocaleString('en')} events in ${r.seconds.toFixed(2)} s (this process: ${r.cpuSeconds.toFixed(2)} CPU-s)`,
      });
    } catch (err) {
      b.rows.push(failedRow(figure, 'events/s', goal, err));
    }
  }
}

/** The joiner wave: `import users` of `people` joiners vs raw inserts; the goal scaled to 100k in 60 s. */
export async function joinerWaveRow(b: Bench, people: number): Promise<void> {
  const goalSeconds = (IN_PROCESS_GOALS.joinerWaveSeconds * people) / IN_PROCESS_GOALS.joinerWavePeople;
  const goal = `${people.toLocaleString('en')} in < ${goalSeconds} s`;
  const figure = `joiner wave (import users), ${people.toLocaleString('en')} people`;
  try {
    const bench = await load<(o: { people?: number }) => Promise<JoinerWaveResult>>(
      './joiner-wave.js',
      'benchJoinerWave',
    );
    b.log(`joiner wave: ${people} people`);
    const r = await bench({ people });
    b.log(`joiner wave: ${r.people} people in ${r.seconds.toFixed(1)} s`);
    b.rows.push({
      figure,
      value: r.peoplePerSecond,
      unit: 'people/s',
      baseline: r.rawInsertPerSecond,
      baselineUnit: 'rows/s (raw insert)',
      ratio: r.peoplePerSecond / r.rawInsertPerSecond,
      goal,
      pass: r.seconds < goalSeconds,
      note: `${r.people.toLocaleString('en')} people in ${r.seconds.toFixed(1)} s (groups, managers, audit, requirement and invitation each), SQLite`,
    });
  } catch (err) {
    b.rows.push(failedRow(figure, 'people/s', goal, err));
  }
}

export async function dashboardRows(
  b: Bench,
  dialects: Dialect[],
  people: number,
  auditEvents: number,
): Promise<void> {
  const goal = `p95 < ${IN_PROCESS_GOALS.dashboardP95Ms} ms`;
  for (const dialect of dialects) {
    const figure = `dashboard p95, ${dialect}, ${people / 1000}k people / ${auditEvents / 1e6}M events`;
    try {
      const bench = await load<
        (o: { dialect: Dialect; people?: number; auditEvents?: number }) => Promise<DashboardBenchResult>
      >('./dashboard.js', 'benchDashboard');
      b.log(`dashboard ${dialect}: ${people} people, ${auditEvents} audit events (filling is not timed)`);
      const r = await bench({ dialect, people, auditEvents });
      b.log(`dashboard ${dialect}: p95 ${r.p95Ms.toFixed(1)} ms`);
      const sorted = [...r.samples].sort((x, y) => x - y);
      b.rows.push({
        figure,
        value: r.p95Ms,
        unit: 'ms',
        baseline: null,
        ratio: null,
        goal,
        pass: r.p95Ms < IN_PROCESS_GOALS.dashboardP95Ms,
        note: `${r.samples.length} snapshots (every figure, cache bypassed): min ${sorted[0]?.toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms`,
      });
    } catch (err) {
      b.rows.push(failedRow(figure, 'ms', goal, err));
    }
  }
}
