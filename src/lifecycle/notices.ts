import { mintInvitation } from '../enrolment/invitation-token.js';
import type { DeferredMail, MailEnv, RenderedMail } from '../notify/templates/index.js';
import type { EnrolmentInvitationRow, EnrolmentRequirementRow } from '../store/schema.js';
import { factorUpgradeMail } from './factor-upgrade-mail.js';
import { acceptanceOf } from './requirement-row.js';

/** Who a notice goes to. */
export interface Addressee {
  id: string;
  username: string;
  display_name: string | null;
  email: string | null;
}

/** A notice ready to queue: the mail, its idempotency key, and the invitation it carries (if any). */
export interface Notice {
  to: string;
  mail: RenderedMail | DeferredMail;
  idempotencyKey: string;
  invitation: EnrolmentInvitationRow | null;
}

/** How a person is greeted. */
export function nameOf(p: Pick<Addressee, 'display_name' | 'username'>): string {
  return p.display_name ?? p.username;
}

/**
 * The mail about a requirement: to a person with no second factor yet, a single-use enrolment
 * link (an invitation, or a reminder with a fresh link); to a person who already has one, a
 * pointer to their account page, since a bare mailed link must not bind a factor next to an
 * existing one. Undefined when the person has no address.
 */
export function composeNotice(
  env: MailEnv,
  person: Addressee,
  req: EnrolmentRequirementRow,
  opts: { reminder: boolean; holdsFactor: boolean; now: number },
): Notice | undefined {
  if (!person.email) return undefined;
  // Reminders once per count; first notices once per link (a bulk re-invitation mints a new one).
  const reminderKey = `reminder:${req.id}:${req.reminders_sent}`;
  if (opts.holdsFactor) {
    const a = acceptanceOf(req);
    const mail = factorUpgradeMail(env, {
      name: nameOf(person),
      ...a,
      deadline: req.deadline,
      reminder: opts.reminder,
    });
    return {
      to: person.email,
      mail,
      idempotencyKey: opts.reminder ? reminderKey : `upgrade:${req.id}`,
      invitation: null,
    };
  }
  const minted = mintInvitation(req.id, person.id, req.deadline, opts.now);
  const input = { name: nameOf(person), enrolToken: minted.token, deadline: req.deadline };
  // Deferred: the job keeps the template's few fields (sealed) and renders when it sends.
  const mail: DeferredMail = { template: opts.reminder ? 'reminder' : 'invitation', input };
  const key = opts.reminder ? reminderKey : `invitation:${minted.row.id}`;
  return { to: person.email, mail, idempotencyKey: key, invitation: minted.row };
}
