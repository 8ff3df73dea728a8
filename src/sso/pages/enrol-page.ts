import { html, raw } from '../../web/html.js';
import { passkeyScripts } from '../../web/passkey-script.js';
import { SCAN_TITLE, scanPageBody, type TotpScan, totpCodeFields } from '../../web/totp-setup.js';
import {
  cancelForm,
  errorBox,
  form,
  framed,
  humanDate,
  type PageContext,
  passkeyForm,
  type RenderedPage,
} from './page-parts.js';

const CONFIRM_FIELDS = totpCodeFields('Confirm and continue');

/** Why the person is enrolling, in their words. */
function why(reason: 'grace' | 'recovery', deadline: number | null): string {
  return reason === 'recovery'
    ? html`<p>Your code was accepted. To finish signing in, set up a new way to verify now.</p>`
    : html`<p>Your organisation requires two-step verification. You have not set it up yet; please do it now${
        deadline ? ` (you have until ${humanDate(deadline)})` : ''
      }.</p>`;
}

/** Enrolment, first page: why, and the button that creates the authenticator. */
export function enrolIntroPage(
  pc: PageContext,
  opts: { reason: 'grace' | 'recovery'; deadline: number | null; error?: string; status?: number },
): RenderedPage {
  const passkey = pc.passkeys
    ? html`<h2>A passkey (recommended)</h2>
<p>Sign in with your fingerprint, face or device PIN, or with a security key. Nothing to type, and it cannot be phished.</p>
${raw(passkeyForm(pc, 'enrol-passkey', { mode: 'register', label: 'Add a passkey' }))}
${raw(passkeyScripts(pc.nonce))}
<h2>Or an authenticator app</h2>`
    : '';
  const body = html`<h1>Set up two-step verification</h1>
${raw(errorBox(opts.error))}${raw(why(opts.reason, opts.deadline))}
${raw(passkey)}<p>You need an authenticator app on your phone, such as Microsoft Authenticator, Google Authenticator or FreeOTP.</p>
${raw(form(pc, 'enrol-start', html`<button type="submit"${raw(pc.passkeys ? ' class="secondary"' : '')}>Set up an authenticator app</button>`))}
${raw(cancelForm(pc))}`;
  return framed(pc, 'Set up two-step verification', body, opts.status);
}

/** Enrolment, second page: the QR code and the manual key (shown this once), then the first code. */
export function enrolQrPage(pc: PageContext, scan: TotpScan): RenderedPage {
  return framed(
    pc,
    SCAN_TITLE,
    scanPageBody(pc.org, scan, form(pc, 'enrol-confirm', CONFIRM_FIELDS), cancelForm(pc)),
  );
}

/** Enrolment, after a wrong code (the key cannot be shown again): try again, or start over. */
export function enrolConfirmPage(pc: PageContext, opts: { error?: string; status?: number }): RenderedPage {
  const body = html`<h1>Confirm your authenticator app</h1>
${raw(errorBox(opts.error))}
<p>Enter the code your authenticator app now shows for ${pc.org}.</p>
${raw(form(pc, 'enrol-confirm', CONFIRM_FIELDS))}
<p class="muted">Lost the key, or the app shows no code?</p>
${raw(form(pc, 'enrol-start', html`<button type="submit" class="link">Start over with a new QR code</button>`))}
${raw(cancelForm(pc))}`;
  return framed(pc, 'Confirm your authenticator app', body, opts.status);
}
