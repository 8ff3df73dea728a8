import { z } from 'zod';
import { humanTime } from '../../../account/pages/account-frame.js';
import type { ConsoleRole } from '../../../identity/person-roles-service.js';
import type { RevealedPass } from '../../../recovery/grant-recovery.js';
import { type Agent, PROOFING_METHODS, type RecoveryRequestView } from '../../../recovery/recovery-model.js';
import { AppError } from '../../../shared/errors.js';
import { html, raw } from '../../html.js';
import { CONSOLE_ACTIONS, CONSOLE_PAGES, mayAct } from '../console-pages.js';
import { type ActionArgs, type ConsoleRouter, field, type PageArgs } from '../console-router.js';
import { type ConsoleMe, type ConsoleView, consoleForm, consoleFrame, table } from '../console-view.js';

const ENTRY = CONSOLE_PAGES.helpdesk;
const params = z.object({ id: z.string().min(1).max(64) });
const NOTICES: Record<string, string> = {
  approved: 'Done: the request was approved.',
  rejected: 'Done: the request was rejected.',
  opened: 'Done: the request was opened; it waits for an approver (four eyes).',
  mailed: "Done: the request was opened and approved; policy sends the pass to the person's manager.",
};
/** People shown for a search in the form that opens a request. */
const MATCHES = 10;

/** The signed-in person as a recovery agent acting in `role`: their username is the four-eyes key. */
function agentOf(a: ActionArgs, role: ConsoleRole): Agent {
  const name = `user:${a.me.username}`;
  return { label: name, name, role, sourceIp: a.request.ip };
}

/** The pass, shown once on the answer that issued it (never cached: the frame says no-store). */
function passPage(view: ConsoleView, lead: string, pass: RevealedPass) {
  const body = html`<h1>Temporary Access Pass</h1><p>${lead} Give this pass to the person, in person or by phone after proofing: it is shown only once.</p>
<p><code data-testid="access-pass">${pass.code}</code></p><p class="muted">Valid until ${humanTime(pass.expiresAt)}.</p>
<p><a href="${ENTRY.path}">Back to the queue</a></p>`;
  return consoleFrame(view, ENTRY.path, 'Temporary Access Pass', body);
}

/** Whether `me` may decide `r`: an approver, not the agent who opened it, not its subject. */
function mayDecide(me: ConsoleMe, r: RecoveryRequestView): boolean {
  return me.roles.includes('approver') && r.requestedBy !== `user:${me.username}` && r.userId !== me.id;
}

/**
 * /console/helpdesk: open a recovery request with the proofing evidence (help desk), and the
 * queue, with approve and reject for approvers (four eyes).
 */
export function helpdeskPages(router: ConsoleRouter): void {
  const { recovery, identity } = router.services;

  async function render({ request, view, me, messages }: PageArgs) {
    const [open, recent] = await Promise.all([
      recovery.list({ state: 'open', limit: 200, offset: 0 }),
      recovery.list({ limit: 50, offset: 0 }),
    ]);
    const done = NOTICES[String((request.query as Record<string, unknown>).done ?? '')];
    const who = (r: RecoveryRequestView) =>
      html`<a href="/console/people/${encodeURIComponent(r.userId)}">person</a>`;
    const decide = (r: RecoveryRequestView) =>
      mayDecide(me, r)
        ? consoleForm(
            view,
            `${ENTRY.path}/${encodeURIComponent(r.id)}/approve`,
            '<button type="submit">Approve</button>',
            'approve',
          ) +
          consoleForm(
            view,
            `${ENTRY.path}/${encodeURIComponent(r.id)}/reject`,
            html`<label class="sr-only" for="why-${r.id}">Reason to reject</label><input id="why-${r.id}" name="reason" placeholder="reason" required>
<button type="submit" class="secondary">Reject</button>`,
            'reject',
          )
        : '';
    const openRows = open.map((r) => [
      who(r),
      html`${r.requestedBy}`,
      html`${r.proofingMethod}${r.proofingReference ? ` (${r.proofingReference})` : ''}`,
      r.privileged ? 'yes' : 'no',
      html`${humanTime(r.expiresAt)}`,
      decide(r),
    ]);
    const recentRows = recent.map((r) => [
      who(r),
      html`${r.state}`,
      html`${r.requestedBy}`,
      html`${r.approvedBy ?? ''}`,
      html`${humanTime(r.createdAt)}`,
    ]);
    const search = String(
      (request.query as Record<string, unknown>).person ??
        (request.body as Record<string, unknown> | undefined)?.person ??
        '',
    ).trim();
    const openSection = mayAct('openRecovery', me.roles) ? await openForm(view, search.slice(0, 200)) : '';
    const body = html`<h1>Help desk</h1>${raw(openSection)}
<h2>Waiting for a decision</h2>${raw(table('Open requests', ['For', 'Opened by', 'Proofing', 'Privileged', 'Decide by', 'Decision'], openRows, 'No open requests.'))}
<h2>Recent requests</h2>${raw(table('Recent requests', ['For', 'State', 'Opened by', 'Approved by', 'Opened'], recentRows))}`;
    return consoleFrame(view, ENTRY.path, 'Help desk', body, { notice: done, ...messages });
  }

  /** Find the person, then record how their identity was proofed; policy decides who approves and how the pass travels. */
  async function openForm(view: ConsoleView, search: string): Promise<string> {
    const find = html`<form class="filters" method="get" action="${ENTRY.path}" role="search">
<div><label for="person">Find the person (username, name or e-mail)</label><input id="person" name="person" type="search" value="${search}"></div>
<button type="submit">Find</button></form>`;
    if (!search) return html`<h2>Open a recovery request</h2>${raw(find)}`;
    const { people } = await identity.list({ limit: MATCHES, offset: 0, search });
    if (people.length === 0)
      return html`<h2>Open a recovery request</h2>${raw(find)}<p class="muted">No one matches.</p>`;
    const choices = people
      .map(
        (p, i) =>
          html`<label><input type="radio" name="userId" value="${p.id}"${raw(people.length === 1 && i === 0 ? ' checked' : '')} required> ${p.username}${p.email ? ` (${p.email})` : ''}</label>`,
      )
      .join('');
    const methods = PROOFING_METHODS.map(
      (m) => html`<option value="${m}">${m.replace('_', ' ')}</option>`,
    ).join('');
    const form = consoleForm(
      view,
      `${ENTRY.path}/open`,
      html`<input type="hidden" name="person" value="${search}">
<fieldset><legend>Person</legend>${raw(choices)}</fieldset>
<label for="proofing-method">Identity proofing method</label><select id="proofing-method" name="proofingMethod">${raw(methods)}</select>
<label for="proofing-reference">Proofing reference (ticket, last digits of the document)</label><input id="proofing-reference" name="proofingReference" maxlength="200">
<label for="proofing-notes">Notes</label><textarea id="proofing-notes" name="notes" maxlength="2000"></textarea>
<label><input type="checkbox" name="revokeOld" value="on" checked> Revoke the person's current factors when the request is approved</label>
<button type="submit">Open request</button>`,
      'open-recovery',
    );
    return html`<h2>Open a recovery request</h2>${raw(find)}${raw(form)}`;
  }

  router.page(ENTRY.path, ENTRY.roles, render);

  router.action(
    `${ENTRY.path}/open`,
    CONSOLE_ACTIONS.openRecovery,
    'open-recovery',
    async (a) => {
      const userId = field(a.body, 'userId');
      if (!userId) throw new AppError('BAD_REQUEST', 'Choose the person to recover.');
      // The agent's own act may approve at once: nobody opens a request about themselves.
      if (userId === a.me.id)
        throw new AppError('FORBIDDEN', 'You cannot open a recovery request about yourself.');
      const role = a.me.roles.includes('helpdesk') ? 'helpdesk' : 'admin';
      const optional = (name: string) => field(a.body, name) || undefined;
      const answer = await recovery.open(agentOf(a, role), {
        userId,
        proofingMethod: field(a.body, 'proofingMethod'),
        proofingReference: optional('proofingReference'),
        notes: optional('notes'),
        revokeOld: a.body.revokeOld === 'on',
      });
      if (answer.pass) return passPage(a.view, 'Opened and approved under policy.', answer.pass);
      return `${ENTRY.path}?done=${answer.state === 'open' ? 'opened' : 'mailed'}`;
    },
    render,
  );

  /** The checks the console adds to the service's own: nobody decides a request about themselves. */
  async function decidable(a: ActionArgs): Promise<string> {
    const { id } = params.parse(a.request.params);
    const r = await recovery.get(id);
    if (r.userId === a.me.id)
      throw new AppError('FORBIDDEN', 'You cannot decide a recovery request about yourself.');
    return id;
  }

  router.action(
    `${ENTRY.path}/:id/approve`,
    CONSOLE_ACTIONS.decideRecovery,
    'approve',
    async (a) => {
      const answer = await recovery.approve(agentOf(a, 'approver'), await decidable(a));
      if (!answer.pass) return `${ENTRY.path}?done=approved`;
      // The pass goes through the agent: this answer is the one place it is ever shown.
      return passPage(a.view, 'Approved.', answer.pass);
    },
    render,
  );

  router.action(
    `${ENTRY.path}/:id/reject`,
    CONSOLE_ACTIONS.decideRecovery,
    'reject',
    async (a) => {
      const reason = field(a.body, 'reason');
      if (!reason) throw new AppError('BAD_REQUEST', 'Give a reason to reject the request.');
      await recovery.reject(agentOf(a, 'approver'), await decidable(a), reason);
      return `${ENTRY.path}?done=rejected`;
    },
    render,
  );
}
