import { html, page, raw } from '../../web/html.js';
import { passkeyButton } from '../../web/passkey-script.js';

/** What every sign-in page knows: whose pages, for which sign-in, and how to sign its forms. */
export interface PageContext {
  org: string;
  helpdesk: string;
  /** The CSP nonce of this response. */
  nonce: string;
  uid: string;
  clientName: string;
  /** The CSRF token of one form of this sign-in. */
  csrf: (form: string) => string;
  /** Whether passkeys can be offered (PUBLIC_URL is a host name, not an IP address). */
  passkeys?: boolean;
}

/** A rendered page and its HTTP status. */
export interface RenderedPage {
  status: number;
  html: string;
}

/** The frame around a sign-in page. */
export function framed(
  pc: Pick<PageContext, 'org' | 'nonce'>,
  title: string,
  body: string,
  status = 200,
): RenderedPage {
  return { status, html: page(title, pc.org, body, { nonce: pc.nonce }) };
}

/** A form of this sign-in: posts to its own step URL with the form's CSRF token. */
export function form(pc: PageContext, action: string, inner: string): string {
  return html`<form method="post" action="/interaction/${pc.uid}/${action}">
<input type="hidden" name="csrf" value="${pc.csrf(action)}">${raw(inner)}</form>`;
}

/** A form of this sign-in whose button runs a passkey ceremony (options from this sign-in's passkey-options). */
export function passkeyForm(
  pc: PageContext,
  action: string,
  opts: { mode: 'register' | 'authenticate'; label: string; secondary?: boolean },
): string {
  return form(
    pc,
    action,
    passkeyButton({
      ...opts,
      optionsUrl: `/interaction/${pc.uid}/passkey-options`,
      optionsCsrf: pc.csrf('passkey-options'),
    }),
  );
}

/** An error message, announced to screen readers. */
export function errorBox(message: string | undefined): string {
  return message ? html`<p class="error" role="alert">${message}</p>` : '';
}

/** "Cancel": ends the sign-in and returns to the application with access_denied. */
export function cancelForm(pc: PageContext, label = 'Cancel and return to the application'): string {
  return form(pc, 'abort', html`<button type="submit" class="link">${label}</button>`);
}

/** A date as people read it (UTC). */
export function humanDate(ms: number): string {
  return new Date(ms).toLocaleDateString('en-GB', {
    timeZone: 'UTC',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  });
}

/** The throttle message: says that sign-in is paused and for how long, nothing more. */
export function throttledMessage(seconds: number): string {
  const minutes = Math.ceil(seconds / 60);
  return `Too many failed attempts. For your security, sign-in for this account is paused; try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
}
