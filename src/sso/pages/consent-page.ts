import { html, raw } from '../../web/html.js';
import { form, framed, type PageContext, type RenderedPage } from './page-parts.js';

/** What each scope shares, in plain words. */
const SCOPE_TEXT: Record<string, string> = {
  openid: 'Confirm who you are',
  profile: 'See your username and name',
  email: 'See your email address',
  offline_access: 'Stay signed in when you are not using it',
};

/** Consent for third-party applications (first-party ones skip it). */
export function consentPage(pc: PageContext, opts: { scopes: string[] }): RenderedPage {
  const items = opts.scopes.map((s) => html`<li>${SCOPE_TEXT[s] ?? s}</li>`).join('');
  const body = html`<h1>Allow ${pc.clientName}?</h1>
<p><strong>${pc.clientName}</strong> is asking to:</p><ul>${raw(items)}</ul>
${raw(form(pc, 'consent', html`<button type="submit" name="decision" value="allow">Allow</button>`))}
${raw(form(pc, 'abort', html`<button type="submit" class="link">Do not allow</button>`))}`;
  return framed(pc, `Allow ${pc.clientName}?`, body);
}
