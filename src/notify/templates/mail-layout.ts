import { html, raw } from '../../web/html.js';

/** What every template needs to know about this installation. */
export interface MailEnv {
  /** PUBLIC_URL without a trailing slash: every action link lives under it. */
  publicUrl: string;
  orgName: string;
}

/** A rendered mail: both parts carry the same single action link. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** The parts of a mail, as plain text; the layout escapes them for HTML. */
export interface MailContent {
  subject: string;
  greeting: string;
  /** Before the action. */
  paragraphs: string[];
  /** The one thing the mail asks the reader to do, at a path under PUBLIC_URL. */
  action: { label: string; path: string };
  /** After the action (what to do if the mail was unexpected). */
  after: string[];
}

/** The action link for `path` (which must start with one `/`), always under PUBLIC_URL. */
export function actionUrl(env: MailEnv, path: string): string {
  if (!path.startsWith('/') || path.startsWith('//'))
    throw new Error(`action path must start with one /: ${path}`);
  const url = env.publicUrl + path;
  const base = new URL(`${env.publicUrl}/`);
  const parsed = new URL(url);
  if (parsed.origin !== base.origin || !parsed.pathname.startsWith(base.pathname)) {
    throw new Error('action link escapes PUBLIC_URL');
  }
  return url;
}

/**
 * A value from outside (a name from HR, a factor's label) made safe to put in a mail: one
 * line, no control characters, bounded, and no `scheme://` (a name must not add a second,
 * clickable link to a mail that carries exactly one).
 */
export function plain(value: string, max = 120): string {
  const line = value
    .replace(/\p{Cc}/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/:\/\//g, ': //');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

const DATE = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' });

/** A date for people, e.g. "12 December 2026" (UTC, so every reader sees the same day). */
export function formatDate(ms: number): string {
  return DATE.format(new Date(ms));
}

/** Lays a mail out as plain text and HTML (every value escaped) around its one action link. */
export function renderMail(env: MailEnv, content: MailContent): RenderedMail {
  const url = actionUrl(env, content.action.path);
  const org = plain(env.orgName);
  const subject = plain(content.subject, 200);
  const text = [
    content.greeting,
    ...content.paragraphs,
    `${content.action.label}:\n${url}`,
    ...content.after,
    `— ${org}`,
  ].join('\n\n');
  const paragraphs = (items: string[]) =>
    raw(items.map((p) => html`<p style="margin:0 0 16px">${p}</p>`).join(''));
  const body = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${subject}</title></head>
<body style="margin:0;padding:24px;background:#f4f5f7;color:#1c2330;font-family:system-ui,sans-serif;font-size:16px;line-height:1.5">
<div style="max-width:32rem;margin:0 auto;background:#ffffff;padding:24px;border-radius:12px">
<p style="margin:0 0 16px;color:#56607a;font-size:14px">${org}</p>
${paragraphs([content.greeting, ...content.paragraphs])}
<p style="margin:24px 0"><a href="${url}" style="display:inline-block;background:#2450d3;color:#ffffff;padding:10px 18px;border-radius:6px;text-decoration:none;font-weight:600">${content.action.label}</a></p>
${paragraphs(content.after)}
</div></body></html>`;
  return { subject, text: `${text}\n`, html: body };
}
