import type { DashboardSnapshot } from '../../../metrics/dashboard-snapshot.js';
import { html, raw } from '../../html.js';
import { type ChartSpec, chartFigure, chartScripts } from '../console-charts.js';
import { CONSOLE_PAGES } from '../console-pages.js';
import type { ConsoleRouter } from '../console-router.js';
import { consoleFrame, percent, table } from '../console-view.js';

const ENTRY = CONSOLE_PAGES.dashboard;

function hours(seconds: number | null): string {
  return seconds === null ? '—' : `${(seconds / 3600).toFixed(1)} h`;
}

/** The dashboard's charts, from the snapshot. */
function charts(s: DashboardSnapshot): ChartSpec[] {
  const f = s.enrolment.overall;
  const mix = Object.entries(s.factors.activeByType);
  const groups = s.coverage.byGroup.slice(0, 12);
  return [
    {
      id: 'chart-funnel',
      title: 'Enrolment funnel',
      summary: `Invited ${f.invited}, started ${f.started}, completed ${f.completed}`,
      type: 'bar',
      labels: ['Invited', 'Started', 'Completed'],
      datasets: [{ label: 'People', data: [f.invited, f.started, f.completed] }],
    },
    {
      id: 'chart-time-to-enrol',
      title: `Time to enrol (last ${s.timeToEnrol.windowDays} days, cumulative)`,
      summary: `${s.timeToEnrol.count} people enrolled; median ${hours(s.timeToEnrol.medianSeconds)}`,
      type: 'bar',
      labels: s.timeToEnrol.buckets.map((b) => (b.leHours === null ? 'all' : `≤ ${b.leHours} h`)),
      datasets: [{ label: 'People enrolled within', data: s.timeToEnrol.buckets.map((b) => b.count) }],
    },
    {
      id: 'chart-factor-mix',
      title: 'Active second factors by type',
      summary: mix.map(([t, n]) => `${t} ${n}`).join(', '),
      type: 'doughnut',
      labels: mix.map(([t]) => t),
      datasets: [{ label: 'Factors', data: mix.map(([, n]) => n) }],
    },
    {
      id: 'chart-coverage',
      title: 'Coverage by group (%)',
      summary: groups.map((g) => `${g.group} ${percent(g.ratio)}`).join(', '),
      type: 'bar',
      labels: groups.map((g) => g.group),
      datasets: [{ label: 'Covered %', data: groups.map((g) => Math.round(g.ratio * 1000) / 10) }],
    },
    {
      id: 'chart-week',
      title: 'Week over week',
      summary: `Resets ${s.resets.weekOverWeek.current} (was ${s.resets.weekOverWeek.previous}), joiners ${s.people.joinersWeekOverWeek.current} (was ${s.people.joinersWeekOverWeek.previous})`,
      type: 'bar',
      labels: ['Resets', 'Joiners', 'Failed verifications'],
      datasets: [
        {
          label: 'Previous 7 days',
          data: [
            s.resets.weekOverWeek.previous,
            s.people.joinersWeekOverWeek.previous,
            s.failures.last7d.previous,
          ],
        },
        {
          label: 'Last 7 days',
          data: [
            s.resets.weekOverWeek.current,
            s.people.joinersWeekOverWeek.current,
            s.failures.last7d.current,
          ],
        },
      ],
    },
  ];
}

function tile(label: string, value: string | number): string {
  return html`<div class="tile"><b>${value}</b>${label}</div>`;
}

/** /console/dashboard: the friction figures (MetricsService) as tiles, charts and a table. */
export function dashboardPage(router: ConsoleRouter): void {
  const { metrics, policies } = router.services;
  router.page(ENTRY.path, ENTRY.roles, async ({ view, messages }) => {
    const [s, active, expiring, overdue] = await Promise.all([
      metrics.snapshot(),
      policies.exceptions.list('active'),
      policies.exceptions.list('expiring'),
      policies.exceptions.list('overdue'),
    ]);
    const tiles = [
      tile('active people', s.people.active),
      tile('enrolment completed', percent(s.enrolment.overall.completionRatio)),
      tile('median time to enrol', hours(s.timeToEnrol.medianSeconds)),
      tile('p90 time to enrol', hours(s.timeToEnrol.p90Seconds)),
      tile('resets per 100 people (30 days)', s.resets.per100People30d.toFixed(1)),
      tile('help-desk-assisted recoveries', percent(s.resets.helpdeskAssistedShare)),
      tile('phishing-resistant factors', percent(s.factors.phishingResistantRatio)),
      tile('failed verifications (7 days)', s.failures.last7d.current),
      tile('throttled accounts', s.failures.throttledAccounts),
      tile('exceptions active', active.length),
      tile('exceptions expiring within 7 days', expiring.length),
      tile('exceptions overdue', overdue.length),
    ].join('');
    const specs = charts(s);
    const byGroup = table(
      'Enrolment by group',
      ['Group', 'Invited', 'Started', 'Completed', 'Completion'],
      s.enrolment.byGroup.map((g) => [
        html`${g.group}`,
        String(g.invited),
        String(g.started),
        String(g.completed),
        percent(g.completionRatio),
      ]),
    );
    const body = html`<h1>Dashboard</h1><p class="muted">Figures as of ${s.generatedAt}.</p>
<h2>Key figures</h2><div class="tiles">${raw(tiles)}</div>
<h2>Charts</h2><div class="charts">${raw(specs.map(chartFigure).join(''))}</div>
<h2>Groups</h2>${raw(byGroup)}${raw(chartScripts(view.nonce, specs))}`;
    return consoleFrame(view, ENTRY.path, 'Dashboard', body, messages);
  });
}
