import { humanDate } from '../sso/pages/page-parts.js';
import { html, page, raw } from '../web/html.js';
import { passkeyButton, passkeyScripts } from '../web/passkey-script.js';
import { SCAN_TITLE, scanPageBody, type TotpScan, totpCodeFields } from '../web/totp-setup.js';
import type { LinkRefusal } from './invitation-service.js';

/** What every invitation page knows. */
export interface EnrolPageContext {
  org: string;
  helpdesk: string;
  nonce: string;
  /** The link's own path, `/enroll/{token}`: forms post to its steps. */
  base: string;
}

/** A rendered page and its status. */
export interface EnrolPage {
  status: number;
  html: string;
}

/**
 * Another way to enrol offered on the invitation page, beside the authenticator app: the
 * passkey ceremony adds itself here (its button's name must contain "passkey", CONTRACT.md).
 */
export interface ExtraMethod {
  /** The button's text, e.g. "Set up a passkey". */
  label: string;
  /** The step under the link the button posts to, e.g. `passkey`. */
  action: string;
  /** A WebAuthn registration: the button runs the ceremony with options from this step first. */
  passkeyOptions?: string;
}

function framed(pc: EnrolPageContext, title: string, body: string, status = 200): EnrolPage {
  return { status, html: page(title, pc.org, body, { nonce: pc.nonce }) };
}

function form(pc: EnrolPageContext, action: string, inner: string): string {
  return html`<form method="post" action="${pc.base}/${action}">${raw(inner)}</form>`;
}

const CONFIRM_FIELDS = totpCodeFields('Confirm');

/** The link's first page: why, by when, and the ways to enrol. */
export function landingPage(
  pc: EnrolPageContext,
  opts: {
    name: string;
    deadline: number;
    phishingResistant: boolean;
    extra: readonly ExtraMethod[];
    /** Why the last attempt did not work (a passkey refused). */
    error?: string;
  },
): EnrolPage {
  const withPasskey = opts.extra.some((m) => m.passkeyOptions);
  const passkeyNote =
    opts.phishingResistant && !withPasskey
      ? html`<p class="muted">Your access also asks for a passkey. Set up the app now to sign in; add a passkey from your account page afterwards.</p>`
      : '';
  const extra = opts.extra
    .map((m) =>
      m.passkeyOptions
        ? form(
            pc,
            m.action,
            passkeyButton({
              mode: 'register',
              label: m.label,
              optionsUrl: `${pc.base}/${m.passkeyOptions}`,
              // The link's token in the URL is the credential and stands for the CSRF token.
              optionsCsrf: 'link',
            }),
          )
        : form(pc, m.action, html`<button type="submit">${m.label}</button>`),
    )
    .join('');
  const error = opts.error ? html`<p class="error" role="alert">${opts.error}</p>` : '';
  const body = html`<h1>Set up two-step verification</h1>
<p>Hello ${opts.name}. ${pc.org} asks for a second factor when you sign in. Please set one up before ${humanDate(opts.deadline)}.</p>
${raw(error)}${raw(extra)}${raw(withPasskey ? passkeyScripts(pc.nonce) : '')}
<p>With an authenticator app on your phone (Microsoft Authenticator, Google Authenticator, FreeOTP, …):</p>
${raw(form(pc, 'totp', html`<button type="submit">Set up an authenticator app</button>`))}
${raw(passkeyNote)}
<p class="muted">This link is personal and works once.</p>`;
  return framed(pc, 'Set up two-step verification', body);
}

/** The QR code and the manual key (shown this once), and the first code that confirms them. */
export function qrPage(pc: EnrolPageContext, scan: TotpScan): EnrolPage {
  return framed(pc, SCAN_TITLE, scanPageBody(pc.org, scan, form(pc, 'confirm', CONFIRM_FIELDS)));
}

/** After a wrong or missing code: try again, or start over with a new QR code. */
export function confirmAgainPage(pc: EnrolPageContext, opts: { error: string; status: number }): EnrolPage {
  const body = html`<h1>Confirm your authenticator app</h1>
<p class="error" role="alert">${opts.error}</p>
<p>Enter the code your authenticator app now shows for ${pc.org}.</p>
${raw(form(pc, 'confirm', CONFIRM_FIELDS))}
<p class="muted">Lost the key, or the app shows no code?</p>
${raw(form(pc, 'totp', html`<button type="submit" class="link">Start over with a new QR code</button>`))}`;
  return framed(pc, 'Confirm your authenticator app', body, opts.status);
}

/** Done: the recovery codes, shown this once (null: the person's policy allows none, and says so). */
export function donePage(
  pc: EnrolPageContext,
  opts: { recoveryCodes: readonly string[] | null; passkey?: boolean },
): EnrolPage {
  const how = opts.passkey ? 'your passkey' : 'your password and a code from your authenticator app';
  const codes = (opts.recoveryCodes ?? []).map((c) => html`<li><code>${c}</code></li>`).join('');
  const recovery =
    opts.recoveryCodes === null
      ? html`<h2>No recovery codes</h2>
<p>Your organisation's policy does not use recovery codes. If you lose this factor, contact ${pc.helpdesk}.</p>`
      : html`<h2>Your recovery codes</h2>
<p>Each works once if you lose your phone. Save them somewhere safe now: they are shown only this once.</p>
<ul>${raw(codes)}</ul>`;
  const body = html`<h1>Two-step verification is set up</h1>
<p>From now on you sign in with ${how}.</p>
${raw(recovery)}`;
  return framed(pc, 'Two-step verification is set up', body);
}

const REFUSALS: Record<LinkRefusal, { status: number; title: string; message: string }> = {
  unknown: {
    status: 404,
    title: 'This link is not valid',
    message: 'This enrolment link is not valid. Check that you opened the whole link from the mail.',
  },
  used: {
    status: 410,
    title: 'This link was already used',
    message: 'This enrolment link was already used. Each link works once.',
  },
  expired: { status: 410, title: 'This link has expired', message: 'This enrolment link has expired.' },
  done: {
    status: 410,
    title: 'This link is no longer needed',
    message: 'This enrolment link is no longer valid: the set-up it was for is complete or no longer needed.',
  },
  has_factor: {
    status: 409,
    title: 'You already have a second factor',
    message:
      'Your account already has a second factor, so this link cannot add another one. Sign in and manage your factors from your account page.',
  },
};

/** A link that cannot be used: what happened and what to do (never which of the reasons applies to someone else's link). */
export function refusedPage(pc: EnrolPageContext, why: LinkRefusal): EnrolPage {
  const r = REFUSALS[why];
  const body = html`<h1>${r.title}</h1>
<p class="error" role="alert">${r.message}</p>
<p>If you still need to set up two-step verification, contact ${pc.helpdesk}.</p>`;
  return framed(pc, r.title, body, r.status);
}

/** Something failed on our side. */
export function failedPage(pc: EnrolPageContext, status: number): EnrolPage {
  const body = html`<h1>Something went wrong</h1>
<p class="error" role="alert">${status >= 500 ? 'Something went wrong on our side.' : 'The request was not valid.'}</p>
<p>Open the link from the mail again, or contact ${pc.helpdesk}.</p>`;
  return framed(pc, 'Something went wrong', body, status);
}
