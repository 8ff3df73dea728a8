/** The mail templates: each a pure function of (MailEnv, input) to {subject, text, html} with one action link. */
export { type DeferredMail, deferredSubject, isDeferred, renderDeferred } from './deferred.js';
export { type EscalationInput, escalationMail } from './escalation.js';
export { type ExceptionExpiringInput, exceptionExpiringMail } from './exception-expiring.js';
export { type FactorChangeInput, factorAddedMail } from './factor-added.js';
export { factorRemovedMail } from './factor-removed.js';
export { type InvitationInput, invitationMail } from './invitation.js';
export { mailPaths } from './links.js';
export { type MailEnv, type RenderedMail, actionUrl } from './mail-layout.js';
export { type RecoveryInput, type RecoveryStage, recoveryMail } from './recovery.js';
export { type ReminderInput, reminderMail } from './reminder.js';
