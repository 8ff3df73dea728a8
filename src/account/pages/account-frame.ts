import { escapeHtml, html, page } from '../../web/html.js';

/** What every /account page knows: whose pages, this response's nonce, how to sign a form. */
export interface AccountPageContext {
  org: string;
  nonce: string;
  /** The CSRF token of one of this session's forms. */
  csrf: (form: string) => string;
}

/** A rendered page and its status. */
export interface AccountPage {
  status: number;
  html: string;
}

// The portal is wider than the sign-in card and has tables; the rest comes from the shared frame.
const EXTRA_CSS = `main{max-width:46rem}table{width:100%;border-collapse:collapse;margin:.5rem 0 1rem;font-size:.95rem}
caption{text-align:left;font-weight:600;margin-bottom:.25rem}th,td{text-align:left;padding:.5rem .4rem;border-bottom:1px solid #e3e6ec;vertical-align:top}
th{color:#56607a;font-weight:600;font-size:.85rem}.actions form{display:inline}.actions button{margin:0 .5rem 0 0}
details summary{cursor:pointer;color:#2450d3;text-decoration:underline}details form{margin:.5rem 0}
summary:focus-visible,a:focus-visible{outline:3px solid #f0b400;outline-offset:2px}
.notice{background:#e9f5ec;color:#1d5c2e;border-left:4px solid #2e7d32;padding:.6rem .8rem;border-radius:.3rem}
.warn{background:#fff6e0;color:#6b4b00;border-left:4px solid #f0b400;padding:.6rem .8rem;border-radius:.3rem}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.top{display:flex;justify-content:space-between;align-items:baseline;gap:1rem}.codes{columns:2;font-family:ui-monospace,monospace;font-size:1.05rem}
a.button{display:inline-block;background:#2450d3;color:#fff;border-radius:.4rem;padding:.6rem 1.1rem;text-decoration:none;margin-top:.5rem}
.row{display:flex;gap:1rem;flex-wrap:wrap;align-items:flex-start}.row form button{margin-top:.25rem}`;

/** The frame of an /account page. */
export function accountFrame(pc: AccountPageContext, title: string, body: string, status = 200): AccountPage {
  const style = `<style nonce="${escapeHtml(pc.nonce)}">${EXTRA_CSS}</style>`;
  return { status, html: page(title, pc.org, style + body, { nonce: pc.nonce }) };
}

/** A form of the portal: posts to `action` (under /account) with its CSRF token. */
export function accountForm(
  pc: AccountPageContext,
  action: string,
  inner: string,
  formName = action,
): string {
  return `<form method="post" action="/account/${action}">
<input type="hidden" name="csrf" value="${escapeHtml(pc.csrf(formName))}">${inner}</form>`;
}

/** A time as people read it (UTC). */
export function humanTime(iso: string | null): string {
  if (!iso) return 'never';
  return `${new Date(iso).toLocaleString('en-GB', {
    timeZone: 'UTC',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  })} UTC`;
}

/** A message box: `notice` (role=status) or `error` (role=alert). */
export function messageBox(kind: 'notice' | 'error', text: string | undefined): string {
  if (!text) return '';
  return kind === 'error'
    ? html`<p class="error" role="alert">${text}</p>`
    : html`<p class="notice" role="status">${text}</p>`;
}
