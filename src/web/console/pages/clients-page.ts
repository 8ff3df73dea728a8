import { humanTime } from '../../../account/pages/account-frame.js';
import { ACCOUNT_CLIENT_ID } from '../../../sso/account-client.js';
import { CONSOLE_CLIENT_ID } from '../../../sso/console-client.js';
import { html, raw } from '../../html.js';
import { CONSOLE_PAGES } from '../console-pages.js';
import type { ConsoleRouter } from '../console-router.js';
import { consoleFrame, table } from '../console-view.js';

const ENTRY = CONSOLE_PAGES.clients;

/** /console/clients: the OIDC applications (registered through the API or the CLI). */
export function clientPages(router: ConsoleRouter): void {
  const { clients } = router.services.sso;
  router.page(ENTRY.path, ENTRY.roles, async ({ view, messages }) => {
    const list = await clients.list();
    const rows = list.map((c) => [
      html`${c.name}`,
      html`<code>${c.clientId}</code>`,
      html`${c.redirectUris.join(' ')}`,
      c.public ? 'public (PKCE)' : html`confidential (${c.tokenEndpointAuthMethod})`,
      c.firstParty ? 'yes' : 'no',
      html`${humanTime(c.createdAt)}`,
    ]);
    const body = html`<h1>Applications</h1>
<p class="muted">Built in: <code>${ACCOUNT_CLIENT_ID}</code> (account settings) and <code>${CONSOLE_CLIENT_ID}</code> (this console).</p>
${raw(table('OIDC clients', ['Name', 'Client id', 'Redirect URIs', 'Kind', 'First party', 'Registered'], rows, 'No applications registered yet.'))}`;
    return consoleFrame(view, ENTRY.path, 'Applications', body, messages);
  });
}
