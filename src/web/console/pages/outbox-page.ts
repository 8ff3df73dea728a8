import { humanTime } from '../../../account/pages/account-frame.js';
import { html, raw } from '../../html.js';
import { CONSOLE_PAGES } from '../console-pages.js';
import type { ConsoleRouter } from '../console-router.js';
import { consoleFrame, table } from '../console-view.js';

const ENTRY = CONSOLE_PAGES.outbox;

/** /console/outbox: mail kept instead of sent while no SMTP_URL is set (development only). */
export function outboxPage(router: ConsoleRouter): void {
  const { outbox } = router.services;
  router.page(ENTRY.path, ENTRY.roles, async ({ view, messages }) => {
    const mail = await outbox.list(100);
    const rows = mail.map((m) => [
      html`${humanTime(m.sentAt)}`,
      html`${m.to}`,
      html`${m.subject}`,
      html`<details><summary>Show text</summary><pre>${m.text}</pre></details>`,
    ]);
    const body = html`<h1>Mail outbox</h1>
<p class="muted">No SMTP_URL is set: mail is kept here instead of being sent. Its links work once.</p>
${raw(table('Latest mail', ['Sent', 'To', 'Subject', 'Text'], rows, 'No mail yet.'))}`;
    return consoleFrame(view, ENTRY.path, 'Outbox', body, messages);
  });
}
