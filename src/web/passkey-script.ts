import { escapeHtml, html, raw } from './html.js';
import { PASSKEY_BUNDLE_PATH } from './passkey-assets.js';

/**
 * The browser side of every passkey button: fetch the ceremony's options (a CSRF-protected POST
 * that issues a fresh challenge), call navigator.credentials through @simplewebauthn/browser,
 * put the answer in the form and submit it. Errors are announced in the form's status line.
 */
const SCRIPT = `(function () {
  var W = window.SimpleWebAuthnBrowser;
  document.querySelectorAll('button[data-passkey]').forEach(function (btn) {
    var form = btn.form;
    var status = form.querySelector('[data-passkey-status]');
    if (!W || !W.browserSupportsWebAuthn()) {
      btn.disabled = true;
      status.textContent = 'This browser cannot use passkeys. Choose another way.';
      return;
    }
    btn.addEventListener('click', function (ev) {
      ev.preventDefault();
      btn.disabled = true;
      status.textContent = 'Follow the instructions from your browser or device.';
      fetch(btn.dataset.optionsUrl, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf: btn.dataset.optionsCsrf }).toString()
      }).then(function (res) {
        if (!res.ok) throw new Error('options ' + res.status);
        return res.json();
      }).then(function (start) {
        var run = btn.dataset.passkey === 'register' ? W.startRegistration : W.startAuthentication;
        return run({ optionsJSON: start.options }).then(function (answer) {
          form.elements.challengeId.value = start.challengeId;
          form.elements.response.value = JSON.stringify(answer);
          status.textContent = 'Checking…';
          form.submit();
        });
      }).catch(function (err) {
        btn.disabled = false;
        status.textContent = err && err.name === 'NotAllowedError'
          ? 'The passkey request was cancelled or timed out. Try again, or choose another way.'
          : err && err.name === 'InvalidStateError'
            ? 'This passkey is already registered for your account.'
            : 'The passkey could not be used. Try again, or choose another way.';
      });
    });
  });
})();`;

/** The two scripts a page with passkey buttons loads, under the response's CSP nonce. */
export function passkeyScripts(nonce: string): string {
  const n = escapeHtml(nonce);
  return `<script nonce="${n}" src="${PASSKEY_BUNDLE_PATH}"></script>\n<script nonce="${n}">${SCRIPT}</script>`;
}

/**
 * A passkey button and what its form posts: the challenge id and the browser's answer. The
 * button's text (its accessible name) always contains "passkey" (CONTRACT.md).
 */
export function passkeyButton(opts: {
  mode: 'register' | 'authenticate';
  label: string;
  optionsUrl: string;
  optionsCsrf: string;
  secondary?: boolean;
}): string {
  if (!/passkey/i.test(opts.label)) throw new Error('a passkey button must say "passkey"');
  return html`<input type="hidden" name="challengeId" value="">
<input type="hidden" name="response" value="">
<button type="submit"${raw(opts.secondary ? ' class="secondary"' : '')} data-passkey="${opts.mode}" data-options-url="${opts.optionsUrl}" data-options-csrf="${opts.optionsCsrf}">${opts.label}</button>
<p class="muted" role="status" aria-live="polite" data-passkey-status></p>`;
}
