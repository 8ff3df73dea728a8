import { html, raw } from '../../web/html.js';
import type { SecondFactorMethod } from '../interactions/methods.js';
import { passkeyScripts } from '../../web/passkey-script.js';
import {
  cancelForm,
  errorBox,
  form,
  framed,
  type PageContext,
  passkeyForm,
  type RenderedPage,
} from './page-parts.js';

/** How each method is offered (each passkey label contains "passkey": CONTRACT.md). */
const OFFER: Record<SecondFactorMethod, string> = {
  passkey: 'Use a passkey',
  otp: 'Use a code from your authenticator app',
  access_pass: 'Use a Temporary Access Pass',
  recovery_code: 'Use a recovery code',
};

function methodForm(pc: PageContext, method: SecondFactorMethod): string {
  switch (method) {
    case 'otp':
      return html`<p>Enter the code your authenticator app shows for this account.</p>${raw(
        form(
          pc,
          'otp',
          html`<label for="code">Verification code</label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="12" required autofocus>
<button type="submit">Verify</button>`,
        ),
      )}`;
    case 'access_pass':
    case 'recovery_code': {
      const label = method === 'access_pass' ? 'Temporary Access Pass' : 'Recovery code';
      const intro =
        method === 'access_pass'
          ? 'Enter the Temporary Access Pass your help desk gave you. You will then set up a new authenticator.'
          : 'Enter one of your recovery codes. Each code works once; you will then set up a new authenticator.';
      return html`<p>${intro}</p>${raw(
        form(
          pc,
          'recovery',
          html`<input type="hidden" name="method" value="${method}">
<label for="code">${label}</label>
<input id="code" name="code" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="64" required autofocus>
<button type="submit">Continue</button>`,
        ),
      )}`;
    }
    case 'passkey':
      return html`<p>Use the passkey on this device, on your phone, or on your security key.</p>${raw(
        passkeyForm(pc, 'passkey', { mode: 'authenticate', label: 'Use a passkey' }),
      )}${raw(passkeyScripts(pc.nonce))}`;
  }
}

/** For a person whose only factor was issued but never used (an enrolment left half-done). */
function enrolInstead(pc: PageContext): string {
  return html`<p class="muted">No code in your app yet?</p>${raw(
    form(
      pc,
      'enrol-instead',
      html`<button type="submit" class="link">Set up a new authenticator app</button>`,
    ),
  )}`;
}

/** Step two: the second factor, offering every method the person has, one at a time. */
export function secondFactorPage(
  pc: PageContext,
  opts: {
    username: string;
    methods: SecondFactorMethod[];
    selected: SecondFactorMethod | undefined;
    canEnrolInstead: boolean;
    error?: string;
    status?: number;
  },
): RenderedPage {
  const others = opts.methods
    .filter((m) => m !== opts.selected)
    .map((m) => html`<li><a href="/interaction/${pc.uid}?method=${m}">${OFFER[m]}</a></li>`)
    .join('');
  const body = html`<h1>Two-step verification</h1>
<p class="muted">Signed in as <strong>${opts.username}</strong> for ${pc.clientName}</p>
${raw(errorBox(opts.error))}${raw(opts.selected ? methodForm(pc, opts.selected) : '')}
${raw(others ? html`<p class="muted">Other ways to verify:</p><ul>${raw(others)}</ul>` : '')}
${raw(opts.canEnrolInstead ? enrolInstead(pc) : '')}
${raw(cancelForm(pc))}`;
  return framed(pc, 'Two-step verification', body, opts.status);
}
