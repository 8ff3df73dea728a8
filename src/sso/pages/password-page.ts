import { html, raw } from '../../web/html.js';
import { passkeyScripts } from '../../web/passkey-script.js';
import { errorBox, form, framed, type PageContext, type RenderedPage, passkeyForm } from './page-parts.js';

/** Username-less sign-in with a discoverable passkey (it verifies the person itself: two factors in one). */
function passkeyFirst(pc: PageContext): string {
  const button = passkeyForm(pc, 'passkey-first', {
    mode: 'authenticate',
    label: 'Sign in with a passkey',
    secondary: true,
  });
  return `<p class="or"><span>or</span></p>${button}${passkeyScripts(pc.nonce)}`;
}

/** Step one: username and password, with the autocomplete tokens password managers rely on. */
export function passwordPage(
  pc: PageContext,
  opts: { username?: string; error?: string; status?: number } = {},
): RenderedPage {
  const fields = html`
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="256" value="${opts.username ?? ''}"${raw(opts.username ? '' : ' autofocus')}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256"${raw(opts.username ? ' autofocus' : '')}>
<button type="submit">Continue</button>`;
  const body = html`<h1>Sign in</h1>
<p class="muted">to continue to <strong>${pc.clientName}</strong></p>
${raw(errorBox(opts.error))}${raw(form(pc, 'password', fields))}
${raw(pc.passkeys ? passkeyFirst(pc) : '')}
<p class="muted">Trouble signing in? Contact ${pc.helpdesk}.</p>`;
  return framed(pc, 'Sign in', body, opts.status);
}
