import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config.js';
import { html, raw } from '../web/html.js';
import { errorPage } from './pages/error-page.js';
import { framed } from './pages/page-parts.js';
import { newNonce, securityHeaders } from './pages/security-headers.js';

/** What people are told for the protocol errors they can meet in a browser. */
const EXPLAINED: Record<string, string> = {
  invalid_redirect_uri:
    'The application asked to send you to an address it has not registered. For your safety you were not sent there.',
  invalid_client: 'The application is not registered with this sign-in service.',
  invalid_request: 'The application sent a sign-in request that is not valid.',
  session_not_found: 'This sign-in has expired or was already completed.',
};

/** The pages oidc-provider itself renders, in Portcullis' frame, with the same headers. */
export type ProviderPage =
  | { kind: 'error'; out: Record<string, unknown> }
  | { kind: 'logout'; form: string }
  | { kind: 'logged_out' };

/** Renders one of oidc-provider's own pages (error, sign-out, signed out). */
export async function renderProviderPage(
  koa: KoaContextWithOIDC,
  config: Config,
  what: ProviderPage,
): Promise<void> {
  const nonce = newNonce();
  const frame = { org: config.orgName, nonce };
  let status = koa.status;
  let body: string;
  if (what.kind === 'error') {
    const code = String(what.out.error ?? 'server_error');
    const description = EXPLAINED[code] ?? String(what.out.error_description ?? 'Something went wrong.');
    const rendered = errorPage(frame, { status, message: description });
    body = rendered.html.replace('</main>', html`<p class="muted">Error code: ${code}</p></main>`);
  } else if (what.kind === 'logout') {
    status = 200;
    body = framed(
      frame,
      'Sign out',
      html`<h1>Sign out of ${config.orgName}?</h1>
<p>You will be signed out of the sign-in service on this device.</p>${raw(what.form)}
<button type="submit" form="op.logoutForm" value="yes" name="logout">Sign out</button>
<p><button type="submit" form="op.logoutForm" class="link">Stay signed in</button></p>`,
    ).html;
  } else {
    status = 200;
    body = framed(
      frame,
      'Signed out',
      html`<h1>You are signed out</h1><p>You can close this window.</p>`,
    ).html;
  }
  const target = koa.oidc?.params?.post_logout_redirect_uri;
  for (const [k, v] of Object.entries(securityHeaders(nonce, typeof target === 'string' ? [target] : []))) {
    koa.set(k, v);
  }
  koa.status = status;
  koa.type = 'html';
  koa.body = body;
}
