import { mailPaths } from './links.js';
import { formatDate, type MailEnv, plain, type RenderedMail, renderMail } from './mail-layout.js';

export interface ExceptionExpiringInput {
  ownerName: string;
  /** Whom it covers: a person's userName or "group X". */
  covers: string;
  /** The waived rules, named for people (e.g. "aal"). */
  waives: string[];
  reason: string;
  expiresAt: number;
  exceptionId: string;
}

/** To an exception's owner, 7 and 1 days before it ends: it will stop applying by itself. */
export function exceptionExpiringMail(env: MailEnv, input: ExceptionExpiringInput): RenderedMail {
  const when = formatDate(input.expiresAt);
  return renderMail(env, {
    subject: `A policy exception you own ends on ${when}`,
    greeting: `Hello ${plain(input.ownerName)},`,
    paragraphs: [
      `The policy exception for ${plain(input.covers)} (waiving ${plain(input.waives.join(', '))}; reason: ${plain(input.reason)}) ends on ${when}.`,
      'It stops applying by itself. If it is still needed, ask an approver for a new one before then; otherwise nothing needs doing.',
    ],
    action: { label: 'Review the exception', path: mailPaths.exception(input.exceptionId) },
    after: ['You receive this because you are named as the owner of this exception.'],
  });
}
