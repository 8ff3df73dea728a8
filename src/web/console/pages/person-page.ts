import { z } from 'zod';
import { humanTime } from '../../../account/pages/account-frame.js';
import type { AuthenticatorView } from '../../../authenticators/authenticator-view.js';
import { canTransition } from '../../../authenticators/states.js';
import type { PersonView } from '../../../identity/person.js';
import { CONSOLE_ROLES } from '../../../identity/person-roles-service.js';
import { AppError } from '../../../shared/errors.js';
import { html, raw } from '../../html.js';
import { CONSOLE_ACTIONS, CONSOLE_PAGES, mayAct } from '../console-pages.js';
import { type ConsoleRouter, field, type PageArgs } from '../console-router.js';
import { type ConsoleView, consoleForm, consoleFrame, table } from '../console-view.js';
import { startDateText } from '../start-date-text.js';

const ENTRY = CONSOLE_PAGES.people;
const params = z.object({ id: z.string().min(1).max(64) });
const factorParams = params.extend({ factor: z.string().min(1).max(64) });
const NOTICES: Record<string, string> = {
  roles: 'Done: the console roles were saved.',
  lost: 'Done: the factor was marked lost.',
  suspend: 'Done: the factor was suspended.',
  revoke: 'Done: the factor was revoked.',
};

/** The state changes the console offers on a factor: the button, and the state it leads to. */
const FACTOR_ACTS = {
  lost: { label: 'Mark lost', to: 'lost' },
  suspend: { label: 'Suspend', to: 'suspended' },
  revoke: { label: 'Revoke', to: 'revoked' },
} as const;
type FactorAct = keyof typeof FACTOR_ACTS;
const isFactorAct = (v: string): v is FactorAct => Object.hasOwn(FACTOR_ACTS, v);

/** A factor's state form: a reason and a button per change its state allows (none once revoked). */
function factorForm(view: ConsoleView, personId: string, f: AuthenticatorView): string {
  const acts = (Object.keys(FACTOR_ACTS) as FactorAct[]).filter((a) =>
    canTransition(f.state, FACTOR_ACTS[a].to),
  );
  if (acts.length === 0) return '';
  const id = `reason-${f.id}`;
  const label = f.name ?? f.type;
  const buttons = acts
    .map(
      (a) =>
        html`<button type="submit" name="act" value="${a}" class="secondary">${FACTOR_ACTS[a].label}<span class="sr-only"> ${label}</span></button>`,
    )
    .join(' ');
  return consoleForm(
    view,
    `/console/people/${encodeURIComponent(personId)}/factors/${encodeURIComponent(f.id)}`,
    html`<label class="sr-only" for="${id}">Reason for ${label}</label><input id="${id}" name="reason" placeholder="reason" required maxlength="500"> ${raw(buttons)}`,
    'factor-state',
  );
}

/**
 * The person's start date and their manager: the name linked to the manager's page, or the bare
 * id when no such person exists (an import links a manager who comes later).
 */
async function startAndManager(router: ConsoleRouter, person: PersonView): Promise<string> {
  const started = (date: string) => `started on ${date}`;
  const date = startDateText(person.startDate, router.ctx.clock.now(), started) || 'no start date';
  if (person.managerId === null) return html`${date} · no manager`;
  const manager = await router.services.identity.get(person.managerId).catch((err: unknown) => {
    if (err instanceof AppError && err.code === 'NOT_FOUND') return undefined;
    throw err;
  });
  if (!manager) return html`${date} · manager: ${person.managerId} (no such person)`;
  return html`${date} · manager: <a href="/console/people/${encodeURIComponent(manager.id)}">${manager.displayName ?? manager.username}</a>`;
}

/**
 * /console/people/:id: a person with their start date and manager, their factors (mark lost,
 * suspend, revoke: admin, help desk), enrolment requirements, roles and history.
 */
export function personPages(router: ConsoleRouter): void {
  const { identity, authenticators, lifecycle, audit, personRoles } = router.services;

  async function render({ request, view, me, messages }: PageArgs) {
    const { id } = params.parse(request.params);
    const person = await identity.get(id);
    const [factors, requirements, history, roles, startManager] = await Promise.all([
      authenticators.list(id),
      lifecycle.requirementsOf(id),
      audit.forSubject(id, 50),
      personRoles.of(id),
      startAndManager(router, person),
    ]);
    const done = NOTICES[String((request.query as Record<string, unknown>).done ?? '')];
    const changes = mayAct('factorState', me.roles);
    const factorRows = factors.map((f) => [
      html`${f.name ?? f.type}`,
      html`${f.type}`,
      html`${f.state}${f.stateReason ? ` (${f.stateReason})` : ''}`,
      html`${f.serial ?? ''}`,
      html`${humanTime(f.activatedAt)}`,
      html`${humanTime(f.lastUsedAt)}`,
      ...(changes ? [factorForm(view, id, f)] : []),
    ]);
    const factorHeads = [
      'Name',
      'Type',
      'State',
      'Serial',
      'Activated',
      'Last used',
      ...(changes ? ['Change'] : []),
    ];
    const requirementRows = requirements.map((r) => [
      html`${r.reason}`,
      html`${r.status}`,
      html`${r.requiredTypes.join(', ') || 'any'}${r.phishingResistant ? ' (phishing-resistant)' : ''}`,
      html`${humanTime(r.deadline)}`,
      html`${humanTime(r.metAt)}`,
    ]);
    const historyRows = history.map((e) => [
      html`${humanTime(e.time)}`,
      html`${e.action}`,
      html`${e.actor}`,
      html`${e.outcome}`,
    ]);
    const roleForm = mayAct('setRoles', me.roles)
      ? consoleForm(
          view,
          `/console/people/${encodeURIComponent(id)}/roles`,
          html`<fieldset><legend>Console roles</legend>${raw(
            CONSOLE_ROLES.map(
              (r) =>
                html`<label><input type="checkbox" name="role-${r}" value="on"${raw(roles.includes(r) ? ' checked' : '')}> ${r}</label>`,
            ).join(''),
          )}</fieldset><button type="submit">Save roles</button>`,
          'roles',
        )
      : html`<p>${roles.length ? roles.join(', ') : 'None.'}</p>`;
    const title = person.displayName ?? person.username;
    const body = html`<h1>${title}</h1>
<p>${person.username} · ${person.email ?? 'no e-mail'} · ${person.status} · groups: ${person.groups.join(', ') || 'none'}</p>
<p>${raw(startManager)}</p>
<h2>Factors</h2>${raw(table('Factors', factorHeads, factorRows))}
<h2>Enrolment requirements</h2>${raw(table('Requirements', ['Reason', 'Status', 'Needs', 'Deadline', 'Met'], requirementRows))}
<h2>Console roles</h2>${raw(roleForm)}
<h2>History</h2>${raw(table('Latest events', ['Time', 'Action', 'Actor', 'Outcome'], historyRows))}`;
    return consoleFrame(view, ENTRY.path, title, body, { notice: done, ...messages });
  }

  router.page(`${ENTRY.path}/:id`, ENTRY.roles, render);

  router.action(
    `${ENTRY.path}/:id/roles`,
    CONSOLE_ACTIONS.setRoles,
    'roles',
    async ({ request, actor, body }) => {
      const { id } = params.parse(request.params);
      const roles = CONSOLE_ROLES.filter((r) => body[`role-${r}`] === 'on');
      await personRoles.set(actor, id, { roles });
      return `${ENTRY.path}/${encodeURIComponent(id)}?done=roles`;
    },
    render,
  );

  router.action(
    `${ENTRY.path}/:id/factors/:factor`,
    CONSOLE_ACTIONS.factorState,
    'factor-state',
    async ({ request, actor, body }) => {
      const { id, factor } = factorParams.parse(request.params);
      const act = field(body, 'act');
      const reason = field(body, 'reason');
      if (!isFactorAct(act)) throw new AppError('BAD_REQUEST', 'Choose what to do with the factor.');
      if (!reason) throw new AppError('BAD_REQUEST', 'Give a reason for the change.');
      if (reason.length > 500) throw new AppError('BAD_REQUEST', 'The reason is longer than 500 characters.');
      // The factor must be this person's: a URL naming someone else's changes nothing.
      if ((await authenticators.get(factor)).userId !== id)
        throw new AppError('NOT_FOUND', `no factor ${factor} for this person`);
      if (act === 'lost') await authenticators.markLost(actor, factor, reason);
      else if (act === 'suspend') await authenticators.suspend(actor, factor, reason);
      else await authenticators.revoke(actor, factor, reason);
      return `${ENTRY.path}/${encodeURIComponent(id)}?done=${act}`;
    },
    render,
  );
}
