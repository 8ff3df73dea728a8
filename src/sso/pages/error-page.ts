import { html } from '../../web/html.js';
import { framed, type RenderedPage } from './page-parts.js';

/** A sign-in that cannot go on: what went wrong (never internals) and what to do. */
export function errorPage(
  pc: { org: string; nonce: string },
  opts: { status: number; title?: string; message: string },
): RenderedPage {
  const title = opts.title ?? 'Sign-in could not continue';
  const body = html`<h1>${title}</h1>
<p class="error" role="alert">${opts.message}</p>
<p>Go back to the application you came from and start signing in again.</p>`;
  return framed(pc, title, body, opts.status);
}
