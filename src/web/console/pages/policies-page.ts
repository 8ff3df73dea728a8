import { z } from 'zod';
import { humanTime } from '../../../account/pages/account-frame.js';
import { html, raw } from '../../html.js';
import { CONSOLE_PAGES } from '../console-pages.js';
import { type ConsoleRouter, field, type PageArgs } from '../console-router.js';
import { consoleForm, consoleFrame, table } from '../console-view.js';

const ENTRY = CONSOLE_PAGES.policies;
const FILTERS = ['active', 'expiring', 'overdue', 'all'] as const;
const query = z.object({ status: z.enum(FILTERS).default('active'), done: z.string().optional() });
const params = z.object({ id: z.string().min(1).max(64) });

/** /console/policies: the policies (admins, auditors) and exceptions (active, expiring, overdue). */
export function policyPages(router: ConsoleRouter): void {
  const { policy, policies } = router.services;

  async function render({ request, view, me, messages }: PageArgs) {
    const q = query.parse(request.query);
    const readsPolicies = me.roles.includes('admin') || me.roles.includes('auditor');
    const [list, exceptions] = await Promise.all([
      readsPolicies ? policy.list() : Promise.resolve([]),
      policies.exceptions.list(q.status),
    ]);
    const approver = me.roles.includes('approver');
    const policyRows = list.map((p) => [
      html`${p.name}`,
      html`${p.targetKind}${p.target ? `: ${p.target}` : ''}`,
      String(p.priority),
      p.enabled ? 'yes' : 'no',
      html`<code>${JSON.stringify(p.rules)}</code>`,
    ]);
    const exceptionRows = exceptions.map((e) => [
      e.userId
        ? html`<a href="/console/people/${encodeURIComponent(e.userId)}">person</a>`
        : html`group ${e.groupName ?? ''}`,
      html`<code>${JSON.stringify(e.waives)}</code>`,
      html`${e.reason}`,
      html`${e.status}`,
      html`${humanTime(e.expiresAt)}`,
      approver && !e.revokedAt
        ? consoleForm(
            view,
            `${ENTRY.path}/exceptions/${encodeURIComponent(e.id)}/revoke`,
            html`<label class="sr-only" for="reason-${e.id}">Reason to revoke</label><input id="reason-${e.id}" name="reason" placeholder="reason">
<button type="submit" class="secondary">Revoke</button>`,
            'revoke',
          )
        : '',
    ]);
    const tabs = FILTERS.map((f) =>
      f === q.status
        ? html`<li><a href="${ENTRY.path}?status=${f}" aria-current="true">${f}</a></li>`
        : html`<li><a href="${ENTRY.path}?status=${f}">${f}</a></li>`,
    ).join('');
    const notice = q.done === 'revoked' ? 'Done: the exception was revoked.' : undefined;
    const policySection = readsPolicies
      ? html`<h2>Policies</h2>${raw(table('Policies', ['Name', 'Applies to', 'Priority', 'Enabled', 'Rules'], policyRows, 'No policies: the built-in default applies.'))}`
      : '';
    const body = html`<h1>Policies and exceptions</h1>${raw(policySection)}
<h2>Exceptions</h2><nav aria-label="Exception filter"><ul>${raw(tabs)}</ul></nav>
${raw(table(`Exceptions (${q.status})`, ['For', 'Waives', 'Reason', 'Status', 'Expires', ''], exceptionRows))}`;
    return consoleFrame(view, ENTRY.path, 'Policies', body, { notice, ...messages });
  }

  router.page(ENTRY.path, ENTRY.roles, render);

  router.action(
    `${ENTRY.path}/exceptions/:id/revoke`,
    ['approver'],
    'revoke',
    async ({ request, actor, body }) => {
      const { id } = params.parse(request.params);
      await policies.exceptions.revoke(actor, id, field(body, 'reason') || undefined);
      return `${ENTRY.path}?status=all&done=revoked`;
    },
    render,
  );
}
