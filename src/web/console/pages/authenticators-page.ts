import { z } from 'zod';
import { humanTime } from '../../../account/pages/account-frame.js';
import { AUTHENTICATOR_STATES } from '../../../authenticators/authenticator-type.js';
import { MAX_PSKC_BYTES } from '../../../authenticators/inventory/pskc-parse.js';
import { readPskc } from '../../../authenticators/inventory/read-pskc.js';
import { AppError } from '../../../shared/errors.js';
import type { ConsoleRole } from '../../../identity/person-roles-service.js';
import { html, raw } from '../../html.js';
import { consoleScript } from '../console-charts.js';
import type { InventoryView } from '../../../authenticators/inventory/inventory-view.js';
import { CONSOLE_ACTIONS, CONSOLE_PAGES, mayAct } from '../console-pages.js';
import {
  type ActionArgs,
  type ConsoleRouter,
  field,
  type PageArgs,
  requiredFields,
} from '../console-router.js';
import { type ConsoleView, consoleForm, consoleFrame, table } from '../console-view.js';

const ENTRY = CONSOLE_PAGES.authenticators;
const SHOWN = 200;
const query = z.object({
  state: z.enum(AUTHENTICATOR_STATES).or(z.literal('')).optional(),
  imported: z.coerce.number().int().min(0).optional(),
  done: z.string().optional(),
});
const NOTICES: Record<string, string> = {
  assigned: 'Done: the token was assigned; it becomes active with its first accepted code.',
  returned: 'Done: the token was returned to the inventory.',
};
/** One of the page's forms: the step it posts to, who may send it, the name its CSRF token is bound to. */
interface InventoryForm {
  step: string;
  roles: readonly ConsoleRole[];
  csrf: string;
  bodyLimit?: number;
}
const FORMS = {
  assign: { step: 'assign', roles: CONSOLE_ACTIONS.inventoryMove, csrf: 'inventory-assign' },
  return: { step: 'return', roles: CONSOLE_ACTIONS.inventoryMove, csrf: 'inventory-return' },
  // URL-encoded XML grows up to three times.
  import: {
    step: 'import',
    roles: CONSOLE_ACTIONS.importTokens,
    csrf: 'pskc',
    bodyLimit: MAX_PSKC_BYTES * 3,
  },
} as const satisfies Record<string, InventoryForm>;

/** A form of this page with its fields. */
function inventoryForm(view: ConsoleView, form: InventoryForm, fields: string): string {
  return consoleForm(view, `${ENTRY.path}/${form.step}`, fields, form.csrf);
}

/** Tokens that can be handed out: on the shelf and neither lost nor revoked. */
const inStock = (t: InventoryView) => t.userId === null && t.state !== 'lost' && t.state !== 'revoked';

/** Hand a token on the shelf to a person, named by their username. */
function assignForm(view: ConsoleView, tokens: readonly InventoryView[]): string {
  const shelf = tokens.filter(inStock).slice(0, SHOWN);
  if (shelf.length === 0) return html`<p class="muted">No token on the shelf to assign.</p>`;
  const options = shelf
    .map((t) => html`<option value="${t.serial}">${t.serial} (${t.type})</option>`)
    .join('');
  return inventoryForm(
    view,
    FORMS.assign,
    html`<label for="assign-serial">Token</label><select id="assign-serial" name="serial">${raw(options)}</select>
<label for="assign-username">Person (username)</label><input id="assign-username" name="username" required autocomplete="off">
<button type="submit">Assign token</button>`,
  );
}

/** Take an assigned token back to the shelf, with a reason. */
function returnForm(view: ConsoleView, t: InventoryView): string {
  const id = `return-${t.id}`;
  return inventoryForm(
    view,
    FORMS.return,
    html`<input type="hidden" name="serial" value="${t.serial}"><label class="sr-only" for="${id}">Reason to return ${t.serial}</label><input id="${id}" name="reason" placeholder="reason" required maxlength="500"> <button type="submit" class="secondary">Return<span class="sr-only"> ${t.serial}</span></button>`,
  );
}

/** The PSKC form: a file (read into the text field by the page's script) or pasted XML, and its key. */
function importForm(view: ConsoleView): string {
  return inventoryForm(
    view,
    FORMS.import,
    html`<label for="pskc-file">PSKC file</label><input id="pskc-file" type="file" accept=".xml,.pskc,application/xml" data-into="pskc">
<label for="pskc">PSKC document (filled from the file, or paste it)</label><textarea id="pskc" name="pskc" required></textarea>
<label for="key-hex">Pre-shared key (hex), if the file is encrypted with one</label><input id="key-hex" name="keyHex" autocomplete="off">
<label for="pskc-password">Password, if the file is encrypted with one</label><input id="pskc-password" name="password" type="password" autocomplete="off">
<p role="status" class="muted"></p><button type="submit" data-progress="Importing… the summary follows when the import is done.">Import tokens</button>`,
  );
}

/**
 * /console/authenticators: factors by type and state, the hardware inventory (assign and return:
 * admin, help desk) and its PSKC import (admin).
 */
export function authenticatorPages(router: ConsoleRouter): void {
  const { metrics, inventory, identity } = router.services;

  async function render({ request, view, me, messages }: PageArgs) {
    const q = query.parse(request.query);
    const state = q.state || undefined;
    const [snapshot, tokens] = await Promise.all([metrics.snapshot(), inventory.list({ state })]);
    const notice =
      q.imported === undefined
        ? NOTICES[q.done ?? '']
        : `Import done: ${q.imported} tokens were added to the inventory.`;
    const moves = mayAct('inventoryMove', me.roles);
    const mix = snapshot.factors.byTypeState.map((r) => [html`${r.type}`, html`${r.state}`, String(r.count)]);
    const rows = tokens
      .slice(0, SHOWN)
      .map((t) => [
        html`${t.serial}`,
        html`${t.type}`,
        html`${t.state}`,
        t.userId ? html`<a href="/console/people/${encodeURIComponent(t.userId)}">assigned</a>` : 'in stock',
        html`${humanTime(t.lastUsedAt)}`,
        ...(moves ? [t.userId && t.state !== 'revoked' ? returnForm(view, t) : ''] : []),
      ]);
    const options = ['', ...AUTHENTICATOR_STATES]
      .map(
        (s) =>
          html`<option value="${s}"${raw(s === (state ?? '') ? ' selected' : '')}>${s || 'any'}</option>`,
      )
      .join('');
    const assignSection = moves ? html`<h2>Assign a token</h2>${raw(assignForm(view, tokens))}` : '';
    const importSection = mayAct('importTokens', me.roles)
      ? html`<h2>Import hardware tokens (PSKC, RFC 6030)</h2>${raw(importForm(view))}${raw(consoleScript(view.nonce))}`
      : '';
    const body = html`<h1>Authenticators</h1>
<h2>Factors by type and state</h2>${raw(table('Factors', ['Type', 'State', 'Count'], mix))}
<h2>Hardware inventory</h2>
<form class="filters" method="get" action="${ENTRY.path}"><div><label for="state">State</label><select id="state" name="state">${raw(options)}</select></div><button type="submit">Show</button></form>
<p class="muted">${tokens.length} tokens${tokens.length > SHOWN ? `, the first ${SHOWN} shown` : ''}.</p>
${raw(table('Inventory', ['Serial', 'Type', 'State', 'Holder', 'Last used', ...(moves ? ['Return'] : [])], rows, 'No tokens.'))}${raw(assignSection)}${raw(importSection)}`;
    return consoleFrame(view, ENTRY.path, 'Authenticators', body, { notice, ...messages });
  }

  router.page(ENTRY.path, ENTRY.roles, render);

  /**
   * A form's POST: its required fields (a missing one refuses the form with its message, in the
   * order given), then the change, which returns where to go next.
   */
  function act<F extends string>(
    form: InventoryForm,
    required: Record<F, string>,
    run: (fields: Record<F, string>, a: ActionArgs) => Promise<string>,
  ): void {
    const path = `${ENTRY.path}/${form.step}`;
    const limit = form.bodyLimit ? { bodyLimit: form.bodyLimit } : {};
    router.action(
      path,
      form.roles,
      form.csrf,
      (a) => run(requiredFields(a.body, required), a),
      render,
      limit,
    );
  }

  act(
    FORMS.assign,
    {
      serial: 'Choose the token to assign.',
      username: 'Give the username of the person who gets the token.',
    },
    async ({ serial, username }, { actor }) => {
      const person = await identity.findByUsername(username);
      if (!person) throw new AppError('NOT_FOUND', `no person with username ${username}`);
      await inventory.assign(actor, serial, person.id);
      return `${ENTRY.path}?done=assigned`;
    },
  );

  act(
    FORMS.return,
    { serial: 'Choose the token to return.', reason: 'Give a reason to return the token.' },
    async ({ serial, reason }, { actor }) => {
      if (reason.length > 500) throw new AppError('BAD_REQUEST', 'The reason is longer than 500 characters.');
      await inventory.unassign(actor, serial, reason);
      return `${ENTRY.path}?done=returned`;
    },
  );

  act(
    FORMS.import,
    { pskc: 'Choose a PSKC file or paste its content.' },
    async ({ pskc }, { actor, body }) => {
      const tokens = readPskc(pskc, { keyHex: field(body, 'keyHex'), password: body.password ?? '' });
      try {
        const result = await inventory.importTokens(actor, tokens, 'pskc:console');
        return `${ENTRY.path}?imported=${result.imported}`;
      } finally {
        for (const t of tokens) t.secret.fill(0);
      }
    },
  );
}
