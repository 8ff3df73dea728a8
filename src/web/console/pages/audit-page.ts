import { Readable } from 'node:stream';
import { z } from 'zod';
import { humanTime } from '../../../account/pages/account-frame.js';
import type { AuditFilter } from '../../../store/repos/audit-events.js';
import { html, raw } from '../../html.js';
import { exportLines } from '../../../audit/audit-export.js';
import { CONSOLE_PAGES } from '../console-pages.js';
import type { ConsoleRouter } from '../console-router.js';
import { consoleFrame, table } from '../console-view.js';

const ENTRY = CONSOLE_PAGES.audit;
const PAGE_SIZE = 100;
/** A datetime-local value (read as UTC) or a full ISO time, in ms; NaN when it is neither. */
function parseUtc(v: string): number {
  return Date.parse(v.endsWith('Z') || /[+-]\d\d:\d\d$/.test(v) ? v : `${v}Z`);
}
// An empty field is no bound.
const time = z
  .string()
  .trim()
  .max(40)
  .refine((v) => v === '' || !Number.isNaN(parseUtc(v)), { message: 'not a date and time' })
  .optional();
const query = z.object({
  action: z.string().trim().max(100).optional(),
  actor: z.string().trim().max(200).optional(),
  from: time,
  to: time,
  before: z.coerce.number().int().min(1).optional(),
});
type Query = z.infer<typeof query>;

function ms(v: string | undefined): number | undefined {
  return v ? parseUtc(v) : undefined;
}

function filterOf(q: Query): AuditFilter {
  return { action: q.action || undefined, actor: q.actor || undefined, fromMs: ms(q.from), toMs: ms(q.to) };
}

/** The query string of the filter (for the export links and the next page). */
function filterQuery(q: Query, extra: Record<string, string> = {}): string {
  const out = new URLSearchParams();
  for (const k of ['action', 'actor', 'from', 'to'] as const) if (q[k]) out.set(k, q[k]!);
  for (const [k, v] of Object.entries(extra)) out.set(k, v);
  return out.toString();
}

/** /console/audit: the trail, filtered by action and actor (prefixes) and time; exports. */
export function auditPages(router: ConsoleRouter): void {
  const { audit } = router.services;

  router.page(ENTRY.path, ENTRY.roles, async ({ request, view, messages }) => {
    const parsed = query.safeParse(request.query);
    const q: Query = parsed.success ? parsed.data : {};
    const error = parsed.success ? undefined : 'The filter was not valid: check the times.';
    const events = await audit.search(filterOf(q), PAGE_SIZE, q.before);
    const rows = events.map((e) => [
      String(e.seq),
      html`${humanTime(e.time)}`,
      html`${e.actor}`,
      html`${e.action}`,
      e.subject ? html`<code>${e.subject}</code>` : '',
      html`${e.outcome}`,
      html`<code>${JSON.stringify(e.details)}</code>`,
    ]);
    const last = events.at(-1);
    const older =
      events.length === PAGE_SIZE && last
        ? html`<p><a href="${ENTRY.path}?${filterQuery(q, { before: String(last.seq) })}">Older events</a></p>`
        : '';
    const input = (name: 'action' | 'actor' | 'from' | 'to', label: string, type = 'text') =>
      html`<div><label for="f-${name}">${label}</label><input id="f-${name}" name="${name}" type="${type}" value="${q[name] ?? ''}"></div>`;
    const body = html`<h1>Audit trail</h1>
<form class="filters" method="get" action="${ENTRY.path}">${raw(input('action', 'Action starts with'))}${raw(input('actor', 'Actor starts with'))}${raw(input('from', 'From (UTC)', 'datetime-local'))}${raw(input('to', 'To (UTC)', 'datetime-local'))}
<button type="submit">Filter</button></form>
<p>Export what the filter matches: <a href="${ENTRY.path}/export.jsonl?${filterQuery(q)}">JSON lines</a> · <a href="${ENTRY.path}/export.csv?${filterQuery(q)}">CSV</a></p>
${raw(table('Events, newest first', ['Seq', 'Time', 'Actor', 'Action', 'Subject', 'Outcome', 'Details'], rows, 'No events match.'))}${raw(older)}`;
    return consoleFrame(view, ENTRY.path, 'Audit', body, { error, ...messages, status: error ? 400 : 200 });
  });

  for (const format of ['jsonl', 'csv'] as const) {
    router.app.get(`${ENTRY.path}/export.${format}`, async (request, reply) => {
      const who = await router.allowed(request, reply, ENTRY.roles);
      if (!who) return reply;
      const q = query.parse(request.query);
      const stamp = router.ctx.clock.now();
      return reply
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
        .header('content-disposition', `attachment; filename="audit-${stamp}.${format}"`)
        .send(Readable.from(exportLines(audit.exportMatching(filterOf(q)), format)));
    });
  }
}
