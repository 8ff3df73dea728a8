import { type InvitationInput, invitationMail, invitationSubject } from './invitation.js';
import { type MailEnv, plain, type RenderedMail } from './mail-layout.js';
import { type ReminderInput, reminderMail, reminderSubject } from './reminder.js';

/**
 * A mail queued as its template and input, rendered only when it is sent: the job stores (sealed)
 * the few fields the template needs instead of the whole text and HTML, which keeps a joiner
 * wave's invitations small. Rendering is pure, so the mail sent is the one rendered at queue time
 * (unless the template itself changed in between, in which case the newer wording goes out).
 */
export type DeferredMail =
  | { template: 'invitation'; input: InvitationInput }
  | { template: 'reminder'; input: ReminderInput };

/** The deferred mail's subject, exactly as rendering gives it (the jobs view shows it before sending). */
export function deferredSubject(env: MailEnv, m: DeferredMail): string {
  const subject = m.template === 'invitation' ? invitationSubject(env) : reminderSubject(m.input);
  return plain(subject, 200);
}

/** Renders a deferred mail. */
export function renderDeferred(env: MailEnv, m: DeferredMail): RenderedMail {
  return m.template === 'invitation' ? invitationMail(env, m.input) : reminderMail(env, m.input);
}

/** Whether a queued mail is deferred (a template reference) rather than rendered. */
export function isDeferred(m: RenderedMail | DeferredMail): m is DeferredMail {
  return 'template' in m;
}
