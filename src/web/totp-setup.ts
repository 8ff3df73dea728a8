import { html, raw } from './html.js';

/** A new authenticator app's QR code (a data: URL) and its Base32 key, both shown this once. */
export interface TotpScan {
  qrCode: string;
  secret: string;
}

/** The title and heading of the page that shows a new authenticator app's QR code. */
export const SCAN_TITLE = 'Scan this code';

/**
 * How to add the app: the QR code with its alternative text, and the key to type instead, grouped in
 * fours (`manual-key` for tests that read it back).
 */
export function totpScan(org: string, scan: TotpScan): string {
  const grouped = scan.secret.replace(/(.{4})/g, '$1 ').trim();
  return html`<p>Open your authenticator app, add an account, and scan the QR code.</p>
<img class="qr" src="${scan.qrCode}" alt="QR code to add ${org} to your authenticator app">
<p class="muted">Cannot scan? Enter this key in the app instead:</p>
<p data-testid="manual-key"><code>${grouped}</code></p>`;
}

/** The fields that confirm a new authenticator app with its first code. */
export function totpCodeFields(button: string): string {
  return html`<label for="code">Code from the app</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="12" required autofocus>
<button type="submit">${button}</button>`;
}

/**
 * The body of the QR page, for the invitation link and the sign-in alike: the heading, the scan, the
 * form that confirms the first code (built by the caller, which knows where it posts), and what
 * follows it (a way out).
 */
export function scanPageBody(org: string, scan: TotpScan, confirmForm: string, after = ''): string {
  return html`<h1>${SCAN_TITLE}</h1>
${raw(totpScan(org, scan))}
${raw(confirmForm)}${raw(after ? `\n${after}` : '')}`;
}
