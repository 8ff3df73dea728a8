import { z } from 'zod';
import { humanTime } from '../../../account/pages/account-frame.js';
import { AUTHENTICATOR_STATES } from '../../../authenticators/authenticator-type.js';
import { MAX_PSKC_BYTES } from '../../../authenticators/inventory/pskc-parse.js';
import { readPskc } from '../../../authenticators/inventory/read-pskc.js';
import { AppError } from '../../../shared/errors.js';
import { html, raw } from '../../html.js';
import { consoleScript } from '../console-charts.js';
import type { InventoryView } from '../../../authenticators/inventory/inventory-view.js';
import { CONSOLE_ACTIONS, CONSOLE_PAGES, mayAct } from '../console-pages.js';
import { type ConsoleRouter, field, type PageArgs } from '../console-router.js';
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
/** Tokens that can be handed out: on the shelf and neither lost nor revoked. */
const inStock = (t: InventoryView) => t.userId === null && t.state !== 'lost' && t.state !== 'revoked';

/** Hand a token on the shelf to a person, named by their username. */
function assignForm(view: ConsoleView, tokens: readonly InventoryView[]): string {
  const shelf = tokens.filter(inStock).slice(0, SHOWN);
  if (shelf.length === 0) return html`<p class="muted">No token on the shelf to assign.</p>`;
  const options = shelf
    .map((t) => html`<option value="${t.serial}">${t.serial} (${t.type})</option>`)
    .join('');
  return consoleForm(
    view,
    `${ENTRY.path}/assign`,
    html`<label for="assign-serial">Token</label><select id="assign-serial" name="serial">${raw(options)}</select>
<label for="assign-username">Person (username)</label><input id="assign-username" name="username" required autocomplete="off">
<button type="submit">Assign token</button>`,
    'inventory-assign',
  );
}

/** Take an assigned token back to the shelf, with a reason. */
function returnForm(view: ConsoleView, t: InventoryView): string {
  const id = `return-${t.id}`;
  return consoleForm(
    view,
    `${ENTRY.path}/return`,
    html`<input type="hidden" name="serial" value="${t.serial}"><label class="sr-only" for="${id}">Reason to return ${t.serial}</label><input id="${id}" name="reason" placeholder="reason" required maxlength="500"> <button type="submit" class="secondary">Return<span class="sr-only"> ${t.serial}</span></button>`,
    'inventory-return',
  );
}

/** The PSKC form: a file (read into the text field by the page's script) or pasted XML, and its key. */
function importForm(view: PageArgs['view']): string {
  return consoleForm(
    view,
    `${ENTRY.path}/import`,
    html`<label for="pskc-file">PSKC file</label><input id="pskc-file" type="file" accept=".xml,.pskc,application/xml" data-into="pskc">
<label for="pskc">PSKC document (filled from the file, or paste it)</label><textarea id="pskc" name="pskc" required></textarea>
<label for="key-hex">Pre-shared key (hex), if the file is encrypted with one</label><input id="key-hex" name="keyHex" autocomplete="off">
<label for="pskc-password">Password, if the file is encrypted with one</label><input id="pskc-password" name="password" type="password" autocomplete="off">
<p role="status" class="muted"></p><button type="submit" data-progress="Importing… the summary follows when the import is done.">Import tokens</button>`,
    'pskc',
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

  router.action(
    `${ENTRY.path}/assign`,
    CONSOLE_ACTIONS.inventoryMove,
    'inventory-assign',
    async ({ actor, body }) => {
      const serial = field(body, 'serial');
      const username = field(body, 'username');
      if (!serial) throw new AppError('BAD_REQUEST', 'Choose the token to assign.');
      if (!username) throw new AppError('BAD_REQUEST', 'Give the username of the person who gets the token.');
      const person = await identity.findByUsername(username);
      if (!person) throw new AppError('NOT_FOUND', `no person with username ${username}`);
      await inventory.assign(actor, serial, person.id);
      return `${ENTRY.path}?done=assigned`;
    },
    render,
  );

  router.action(
    `${ENTRY.path}/return`,
    CONSOLE_ACTIONS.inventoryMove,
    'inventory-return',
    async ({ actor, body }) => {
      const serial = field(body, 'serial');
      const reason = field(body, 'reason');
      if (!serial) throw new AppError('BAD_REQUEST', 'Choose the token to return.');
      if (!reason) throw new AppError('BAD_REQUEST', 'Give a reason to return the token.');
      if (reason.length > 500) throw new AppError('BAD_REQUEST', 'The reason is longer than 500 characters.');
      await inventory.unassign(actor, serial, reason);
      return `${ENTRY.path}?done=returned`;
    },
    render,
  );

  router.action(
    `${ENTRY.path}/import`,
    CONSOLE_ACTIONS.importTokens,
    'pskc',
    async ({ actor, body }) => {
      const xml = field(body, 'pskc');
      if (!xml) throw new AppError('BAD_REQUEST', 'Choose a PSKC file or paste its content.');
      const tokens = readPskc(xml, { keyHex: field(body, 'keyHex'), password: body.password ?? '' });
      try {
        const result = await inventory.importTokens(actor, tokens, 'pskc:console');
        return `${ENTRY.path}?imported=${result.imported}`;
      } finally {
        for (const t of tokens) t.secret.fill(0);
      }
    },
    render,
    // URL-encoded XML grows up to three times.
    { bodyLimit: MAX_PSKC_BYTES * 3 },
  );
}
