import { Gauge, type Registry } from 'prom-client';
import type { DashboardSnapshot } from './dashboard-snapshot.js';

type Snapshot = () => Promise<DashboardSnapshot>;
type Labels = Record<string, string>;
type Reading = Array<[Labels, number]>;

/**
 * One gauge refreshed on every scrape from the (cached) snapshot: `read` turns the snapshot
 * into labelled values; labels that vanished since the last scrape are dropped.
 */
function frictionGauge(
  registry: Registry,
  snapshot: Snapshot,
  name: string,
  help: string,
  labelNames: string[],
  read: (s: DashboardSnapshot) => Reading,
): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      const values = read(await snapshot());
      this.reset();
      for (const [labels, value] of values) this.set(labels, value);
    },
  });
}

const one = (value: number | null): Reading => (value === null ? [] : [[{}, value]]);
const byKey = (label: string, counts: Record<string, number>): Reading =>
  Object.entries(counts).map(([k, v]) => [{ [label]: k }, v]);

/** The friction figures as `portcullis_*` gauges (the README's "Metrics" section lists them). */
export function registerFrictionGauges(registry: Registry, snapshot: Snapshot): void {
  const g = (name: string, help: string, labels: string[], read: (s: DashboardSnapshot) => Reading) =>
    frictionGauge(registry, snapshot, name, help, labels, read);
  g('portcullis_people', 'People by lifecycle status.', ['status'], (s) =>
    byKey('status', s.people.byStatus),
  );
  g(
    'portcullis_enrolment_completion_ratio',
    'Active people holding an active second factor / active people.',
    ['group'],
    (s) => [
      [{ group: '' }, s.enrolment.overall.completionRatio],
      ...s.enrolment.byGroup.map((f): [Labels, number] => [{ group: f.group }, f.completionRatio]),
    ],
  );
  g(
    'portcullis_enrolment_funnel',
    'Active people by enrolment stage (invited, started, completed).',
    ['stage'],
    (s) => [
      [{ stage: 'invited' }, s.enrolment.overall.invited],
      [{ stage: 'started' }, s.enrolment.overall.started],
      [{ stage: 'completed' }, s.enrolment.overall.completed],
    ],
  );
  g(
    'portcullis_time_to_enrol_seconds',
    'Time from person creation to first active second factor (enrolments of the last 90 days).',
    ['quantile'],
    (s) => [
      ...one(s.timeToEnrol.medianSeconds).map(([, v]): [Labels, number] => [{ quantile: '0.5' }, v]),
      ...one(s.timeToEnrol.p90Seconds).map(([, v]): [Labels, number] => [{ quantile: '0.9' }, v]),
    ],
  );
  g('portcullis_time_to_enrol_count', 'Enrolments counted in portcullis_time_to_enrol_seconds.', [], (s) =>
    one(s.timeToEnrol.count),
  );
  g('portcullis_factors', 'Owned authenticators by type and state.', ['type', 'state'], (s) =>
    s.factors.byTypeState.map((f): [Labels, number] => [{ type: f.type, state: f.state }, f.count]),
  );
  g('portcullis_phishing_resistant_ratio', 'Share of active second factors that resist phishing.', [], (s) =>
    one(s.factors.phishingResistantRatio),
  );
  g(
    'portcullis_coverage_ratio',
    'Share of active people with at least one active second factor.',
    ['group'],
    (s) => [
      [{ group: '' }, s.coverage.ratio],
      ...s.coverage.byGroup.map((c): [Labels, number] => [{ group: c.group }, c.ratio]),
    ],
  );
  g(
    'portcullis_resets_per_100_people_30d',
    'Recoveries (recovery code, access pass, lost device) per 100 active people, last 30 days.',
    [],
    (s) => one(s.resets.per100People30d),
  );
  g('portcullis_resets_30d', 'Recoveries in the last 30 days by action.', ['action'], (s) =>
    byKey('action', s.resets.byAction),
  );
  g(
    'portcullis_resets_helpdesk_assisted_ratio',
    'Share of last-30-day recoveries that needed the help desk.',
    [],
    (s) => one(s.resets.helpdeskAssistedShare),
  );
  g(
    'portcullis_failed_verifications',
    'Failed verifications (validation, sign-in, recovery code, pass) in the window.',
    ['window'],
    (s) => [
      [{ window: '24h' }, s.failures.last24h.current],
      [{ window: '7d' }, s.failures.last7d.current],
    ],
  );
  g('portcullis_throttled_accounts', 'Active people locked out by the failure counter now.', [], (s) =>
    one(s.failures.throttledAccounts),
  );
  g('portcullis_jobs', 'Durable jobs by state.', ['state'], (s) => byKey('state', s.jobs));
  g('portcullis_audit_events', 'Audit events in the chain.', [], (s) => one(s.auditEvents));
}
