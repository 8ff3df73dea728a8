import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';

/** Gauges with no panel of their own: the count behind the time-to-enrol quantiles. */
const NO_PANEL = new Set(['portcullis_time_to_enrol_count']);

/** prom-client's process and Node.js metrics: the dashboard shows memory only. */
const DEFAULT_METRIC = /^portcullis_(process|nodejs)_/;

// The other way round (every metric the dashboard queries is served) is in src/metrics/prometheus.test.ts.
describe('the example Grafana dashboard (docs/grafana-dashboard.json)', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await createTestRuntime('sqlite');
  });
  afterAll(async () => rt?.dispose());

  it('parses, with unique panel ids, and has a panel for every gauge Portcullis serves', async () => {
    const text = readFileSync(new URL('../docs/grafana-dashboard.json', import.meta.url), 'utf8');
    const dashboard = JSON.parse(text) as { panels: Array<{ id: number; targets: Array<{ expr: string }> }> };
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const queried = new Set(
      dashboard.panels.flatMap((p) =>
        p.targets.flatMap((t) => [...t.expr.matchAll(/portcullis_\w+/g)].map((m) => m[0])),
      ),
    );

    const body = (await (await rt.app()).inject({ method: 'GET', url: '/metrics' })).body;
    const gauges = [...body.matchAll(/^# TYPE (portcullis_\w+) gauge$/gm)]
      .map((m) => m[1]!)
      .filter((name) => !DEFAULT_METRIC.test(name) && !NO_PANEL.has(name));
    // The friction gauges and the workload gauges (requirements, exceptions, recovery requests).
    expect(gauges).toEqual(
      expect.arrayContaining([
        'portcullis_people',
        'portcullis_enrolment_requirements',
        'portcullis_policy_exceptions',
        'portcullis_recovery_requests',
      ]),
    );
    for (const name of gauges) expect(queried, `no panel queries ${name}`).toContain(name);
  });
});
