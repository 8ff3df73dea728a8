import { html, raw } from '../../web/html.js';
import { totpCodeFields, totpScan } from '../../web/totp-setup.js';
import {
  type AccountPage,
  type AccountPageContext,
  accountForm,
  accountFrame,
  messageBox,
} from './account-frame.js';

/** Adding an authenticator app: the QR code and manual key (shown this once), then its first code. */
export function totpSetupPage(
  pc: AccountPageContext,
  o: { id: string; qrCode?: string; secret?: string; error?: string; status?: number },
): AccountPage {
  const scan =
    o.qrCode && o.secret
      ? totpScan(pc.org, { qrCode: o.qrCode, secret: o.secret })
      : html`<p>Enter the code your authenticator app now shows for ${pc.org}.</p>`;
  const confirm = accountForm(
    pc,
    'totp/confirm',
    html`<input type="hidden" name="id" value="${o.id}">
${raw(totpCodeFields('Confirm'))}`,
  );
  const body = html`<h1>Add an authenticator app</h1>${raw(messageBox('error', o.error))}${raw(scan)}${raw(confirm)}
<p><a href="/account">Cancel</a></p>`;
  return accountFrame(pc, 'Add an authenticator app', body, o.status);
}

/** New recovery codes, shown once, with a plain-text download. */
export function recoveryCodesPage(pc: AccountPageContext, codes: string[]): AccountPage {
  const text = `${pc.org} recovery codes\nEach code works once.\n\n${codes.join('\n')}\n`;
  const href = `data:text/plain;charset=utf-8,${encodeURIComponent(text)}`;
  const items = codes.map((c) => html`<li><code>${c}</code></li>`).join('');
  const body = html`<h1>Your new recovery codes</h1>
<p class="warn">Save these codes now: they are shown only this once. Your previous codes no longer work.</p>
<ol class="codes">${raw(items)}</ol>
<p><a class="button" href="${href}" download="recovery-codes.txt">Download as text</a></p>
<p><a href="/account">I have saved them: back to my account</a></p>`;
  return accountFrame(pc, 'Your new recovery codes', body);
}

/** A change needs a recent sign-in: explain, and offer to confirm. */
export function confirmFirstPage(pc: AccountPageContext): AccountPage {
  const body = html`<h1>Confirm it is you</h1>
<p>Changes to your sign-in factors need a recent sign-in. Sign in again (with your strongest factor), then make the change.</p>
<p><a class="button" href="/account/verify">Confirm it is you</a></p>
<p><a href="/account">Back to my account</a></p>`;
  return accountFrame(pc, 'Confirm it is you', body, 403);
}

/** Something went wrong that the person can do nothing about here. */
export function accountErrorPage(pc: AccountPageContext, status: number, message: string): AccountPage {
  const body = html`<h1>That did not work</h1>${raw(messageBox('error', message))}
<p><a href="/account">Back to my account</a></p>`;
  return accountFrame(pc, 'That did not work', body, status);
}

/** The sign-in for the portal ended without a session (cancelled, refused). */
export function notSignedInPage(pc: AccountPageContext): AccountPage {
  const body = html`<h1>You are not signed in</h1>
<p>The sign-in did not complete.</p><p><a class="button" href="/account">Sign in to your account</a></p>`;
  return accountFrame(pc, 'You are not signed in', body, 401);
}
