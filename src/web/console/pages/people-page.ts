import { z } from 'zod';
import { html, raw } from '../../html.js';
import { CONSOLE_PAGES } from '../console-pages.js';
import type { ConsoleRouter } from '../console-router.js';
import { consoleFrame, table } from '../console-view.js';
import { startDateText } from '../start-date-text.js';

const ENTRY = CONSOLE_PAGES.people;
const PAGE_SIZE = 50;
const query = z.object({
  q: z.string().trim().max(200).optional(),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
});

/** /console/people: search people by username, name or e-mail (with their start date); each links to their detail. */
export function peoplePages(router: ConsoleRouter): void {
  const { identity } = router.services;
  router.page(ENTRY.path, ENTRY.roles, async ({ request, view, messages }) => {
    const q = query.parse(request.query);
    const search = q.q || undefined;
    const { total, people } = await identity.list({ limit: PAGE_SIZE, offset: q.offset, search });
    const now = router.ctx.clock.now();
    const rows = people.map((p) => [
      html`<a href="/console/people/${encodeURIComponent(p.id)}">${p.username}</a>`,
      html`${p.displayName ?? ''}`,
      html`${p.email ?? ''}`,
      html`${p.status}`,
      html`${startDateText(p.startDate, now)}`,
      html`${p.groups.join(', ')}`,
    ]);
    const next =
      people.length === PAGE_SIZE
        ? html`<p><a href="${ENTRY.path}?${new URLSearchParams({ q: q.q ?? '', offset: String(q.offset + PAGE_SIZE) }).toString()}">Next ${PAGE_SIZE}</a></p>`
        : '';
    const body = html`<h1>People</h1><p class="muted">${total} people in all.</p>
<form class="filters" method="get" action="${ENTRY.path}" role="search">
<div><label for="q">Search people</label><input id="q" name="q" type="search" value="${q.q ?? ''}"></div>
<button type="submit">Search</button></form>
${raw(table('People', ['Username', 'Name', 'E-mail', 'Status', 'Start date', 'Groups'], rows, 'No one matches.'))}${raw(next)}`;
    return consoleFrame(view, ENTRY.path, 'People', body, messages);
  });
}
