import type { AuthenticatorView } from '../../authenticators/authenticator-view.js';
import { listTypes } from '../../authenticators/registry.js';
import { html, raw } from '../../web/html.js';
import { passkeyButton, passkeyScripts } from '../../web/passkey-script.js';
import type { SignInRecord } from '../account-service.js';
import {
  type AccountPage,
  type AccountPageContext,
  accountForm,
  accountFrame,
  humanTime,
  messageBox,
} from './account-frame.js';

/** Everything the overview shows. */
export interface AccountOverview {
  username: string;
  factors: AuthenticatorView[];
  signIns: Array<SignInRecord & { clientName: string }>;
  /** Changes are allowed without confirming again (a recent enough sign-in). */
  fresh: boolean;
  passkeys: boolean;
  notice?: string;
  error?: string;
  status?: number;
}

const title = (type: string) => listTypes().find((t) => t.kind === type)?.describe.title ?? type;

/** How a sign-in was made, in words. */
function how(amr: string[]): string {
  const parts: string[] = [];
  if (amr.includes('pwd')) parts.push('password');
  if (amr.includes('hwk') || amr.includes('swk')) parts.push('passkey');
  else if (amr.includes('otp')) parts.push('code');
  return parts.length ? parts.join(' + ') : '—';
}

function factorRow(pc: AccountPageContext, f: AuthenticatorView): string {
  const label = f.name ?? title(f.type);
  const state = f.state === 'pending' ? ' (not confirmed yet)' : f.state === 'active' ? '' : ` (${f.state})`;
  const extra = f.remaining !== undefined ? ` · ${f.remaining} left` : '';
  const rename = accountForm(
    pc,
    `factors/${f.id}/rename`,
    html`<label for="name-${f.id}">New name</label>
<input id="name-${f.id}" name="name" type="text" maxlength="64" required value="${f.name ?? ''}">
<button type="submit">Save name</button>`,
    'rename',
  );
  const remove = accountForm(
    pc,
    `factors/${f.id}/remove`,
    html`<button type="submit" class="secondary">Remove<span class="sr-only"> ${label}</span></button>`,
    'remove',
  );
  const kind = f.name ? title(f.type) : '';
  const under = `${kind}${state}${extra}`.replace(/^ · /, '').trim();
  return html`<tr><td><strong>${label}</strong>${raw(under ? html`<br><span class="muted">${under}</span>` : '')}</td>
<td>${humanTime(f.createdAt)}</td><td>${humanTime(f.lastUsedAt)}</td>
<td class="actions"><details><summary>Rename<span class="sr-only"> ${label}</span></summary>${raw(rename)}</details>${raw(remove)}</td></tr>`;
}

/** /account: my factors, adding one, recovery codes, my recent sign-ins. */
export function accountPage(pc: AccountPageContext, o: AccountOverview): AccountPage {
  const factors = o.factors.map((f) => factorRow(pc, f)).join('');
  const signIns = o.signIns
    .map(
      (s) =>
        html`<tr><td>${humanTime(s.at)}</td><td>${s.clientName}</td><td>${how(s.amr)}</td><td>${s.sourceIp ?? '—'}</td></tr>`,
    )
    .join('');
  const confirm = o.fresh
    ? ''
    : html`<p class="warn">For your security, confirm it is you before you change your sign-in factors.
<a href="/account/verify">Confirm it is you</a></p>`;
  const passkey = o.passkeys
    ? accountForm(
        pc,
        'passkey',
        passkeyButton({
          mode: 'register',
          label: 'Add a passkey',
          optionsUrl: '/account/passkey-options',
          optionsCsrf: pc.csrf('passkey-options'),
        }),
      ) + passkeyScripts(pc.nonce)
    : '';
  const body = html`<div class="top"><h1>Your account</h1><a href="/oidc/session/end">Sign out</a></div>
<p class="muted">Signed in as <strong>${o.username}</strong></p>
${raw(messageBox('notice', o.notice))}${raw(messageBox('error', o.error))}
<h2 id="factors">Your sign-in factors</h2>
${raw(confirm)}
<table aria-labelledby="factors"><thead><tr><th scope="col">Factor</th><th scope="col">Added</th><th scope="col">Last used</th><th scope="col">Actions</th></tr></thead>
<tbody>${raw(factors || '<tr><td colspan="4">None yet.</td></tr>')}</tbody></table>
<h2>Add a way to sign in</h2>
<p class="muted">A passkey uses your fingerprint, face, device PIN or a security key and cannot be phished. An authenticator app shows a new code every 30 seconds.</p>
<div class="row">${raw(passkey)}${raw(accountForm(pc, 'totp', html`<button type="submit" class="secondary">Add an authenticator app</button>`))}</div>
<h2>Recovery codes</h2>
<p>Recovery codes let you sign in when you cannot use your other factors. Getting new codes makes your old ones stop working.</p>
${raw(accountForm(pc, 'recovery-codes', html`<button type="submit" class="secondary">Get new recovery codes</button>`))}
<h2 id="history">Recent sign-ins</h2>
<table aria-labelledby="history"><thead><tr><th scope="col">When</th><th scope="col">Application</th><th scope="col">How</th><th scope="col">From</th></tr></thead>
<tbody>${raw(signIns || '<tr><td colspan="4">No sign-ins yet.</td></tr>')}</tbody></table>
<p class="muted">Something you do not recognise? Remove the factor and tell your IT help desk at once.</p>`;
  return accountFrame(pc, 'Your account', body, o.status);
}
