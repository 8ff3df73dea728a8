import { type AccountPage, accountFrame, messageBox } from '../../account/pages/account-frame.js';
import type { ConsoleRole } from '../../identity/person-roles-service.js';
import { escapeHtml, html, raw } from '../html.js';
import { CONSOLE_PAGES, type ConsolePageEntry, mayOpen } from './console-pages.js';

/** Who is signed in to the console. */
export interface ConsoleMe {
  id: string;
  username: string;
  roles: ConsoleRole[];
}

/** What every console page knows: the organisation, this response's nonce, the forms' CSRF tokens. */
export interface ConsoleView {
  org: string;
  nonce: string;
  csrf: (form: string) => string;
  me: ConsoleMe | undefined;
  /** Whether mail goes to the dev outbox (no SMTP_URL). */
  devOutbox: boolean;
}

/** Extra text shown on a page: a notice after a change, an error after a refused form. */
export interface PageMessages {
  notice?: string;
  error?: string;
  status?: number;
}

export type ConsolePage = AccountPage;

// Wider than /account, with a menu, figure tiles and charts; the rest is the shared frame's look.
const CONSOLE_CSS = `main{max-width:72rem;margin:2rem auto}nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1rem;padding:0;margin:0 0 1rem}
nav a{color:#2450d3}nav a[aria-current=page]{font-weight:700;color:#1c2330}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));gap:.75rem;margin:1rem 0}
.tile{border:1px solid #e3e6ec;border-radius:.5rem;padding:.75rem}.tile b{display:block;font-size:1.5rem}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(28rem,1fr));gap:1rem}
figure{margin:0;border:1px solid #e3e6ec;border-radius:.5rem;padding:.75rem}figcaption{font-weight:600;margin-bottom:.5rem}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end}form.filters div{min-width:10rem}
select,textarea{box-sizing:border-box;width:100%;padding:.5rem;font-size:1rem;border:1px solid #b8bfcc;border-radius:.4rem}
textarea{font-family:ui-monospace,monospace;min-height:6rem}select:focus-visible,textarea:focus-visible{outline:3px solid #f0b400;outline-offset:2px}
fieldset{border:1px solid #e3e6ec;border-radius:.5rem;margin:.5rem 0}td form{display:inline}`;

/** The menu: the pages the signed-in person may open. */
function menu(view: ConsoleView, current: string): string {
  const me = view.me;
  if (!me) return '';
  const items = Object.values(CONSOLE_PAGES as Record<string, ConsolePageEntry>)
    .filter((p) => mayOpen(p, me.roles) && (!p.devOnly || view.devOutbox))
    .map((p) =>
      p.path === current
        ? html`<li><a href="${p.path}" aria-current="page">${p.title}</a></li>`
        : html`<li><a href="${p.path}">${p.title}</a></li>`,
    );
  return html`<nav aria-label="Console"><ul>${raw(items.join(''))}</ul></nav>
<p class="muted">Signed in as ${me.username} (${me.roles.join(', ')}).</p>`;
}

/** The frame of a console page: menu, messages, then the page's own body. */
export function consoleFrame(
  view: ConsoleView,
  current: string,
  title: string,
  body: string,
  messages: PageMessages = {},
): ConsolePage {
  const style = `<style nonce="${escapeHtml(view.nonce)}">${CONSOLE_CSS}</style>`;
  const inner = `${style}${menu(view, current)}${messageBox('notice', messages.notice)}${messageBox('error', messages.error)}${body}`;
  return accountFrame(
    { org: view.org, nonce: view.nonce, csrf: view.csrf },
    title,
    inner,
    messages.status ?? 200,
  );
}

/** A console form: posts to `action` with its CSRF token (named after the action unless told). */
export function consoleForm(view: ConsoleView, action: string, inner: string, formName = action): string {
  return `<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="csrf" value="${escapeHtml(view.csrf(formName))}">${inner}</form>`;
}

/** A table with a caption; `rows` are already-escaped cells. */
export function table(
  caption: string,
  headers: readonly string[],
  rows: readonly string[][],
  empty = 'None.',
): string {
  if (rows.length === 0) return html`<p class="muted">${caption}: ${empty}</p>`;
  const head = headers.map((h) => html`<th scope="col">${h}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return html`<table><caption>${caption}</caption><thead><tr>${raw(head)}</tr></thead><tbody>${raw(body)}</tbody></table>`;
}

/** A ratio as a percentage. */
export function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)} %`;
}
