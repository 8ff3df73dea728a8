import { mailPaths } from '../notify/templates/links.js';
import {
  formatDate,
  type MailEnv,
  plain,
  type RenderedMail,
  renderMail,
} from '../notify/templates/mail-layout.js';

/** What the manager is told: whose pass it is, the pass, and until when it works. */
export interface PassForManagerInput {
  managerName: string;
  personName: string;
  code: string;
  expiresAt: number;
  reference: string;
  /** A joiner's first day (ms): the pass is for day one, and works from then (not a recovery). */
  startDate?: number;
}

const at = (ms: number) => `${formatDate(ms)} ${new Date(ms).toISOString().slice(11, 16)} UTC`;

/**
 * To a manager, when policy delivers recovery passes through them: hand this pass to the person
 * in person. The only mail that carries a secret; its body is sealed in the job queue.
 */
export function passForManagerMail(env: MailEnv, input: PassForManagerInput): RenderedMail {
  return renderMail(env, {
    subject: `A Temporary Access Pass for ${plain(input.personName, 60)}: ${plain(env.orgName)}`,
    greeting: `Hello ${plain(input.managerName)},`,
    paragraphs:
      input.startDate === undefined
        ? [
            `A recovery of ${plain(input.personName)}'s sign-in was approved (reference ${plain(input.reference, 40)}). Please hand them this Temporary Access Pass in person: ${plain(input.code, 40)}`,
            `It works once, only to set up a new sign-in factor, until ${at(input.expiresAt)}.`,
          ]
        : [
            `${plain(input.personName)} starts on ${formatDate(input.startDate)}. Please hand them this Temporary Access Pass in person on their first day: ${plain(input.code, 40)}`,
            `It works once, only to set up their sign-in factor, from ${at(input.startDate)} until ${at(input.expiresAt)}; not before.`,
          ],
    action: { label: 'Review your own sign-in factors', path: mailPaths.account() },
    after: ['You receive this because you are named as their manager. Do not forward this mail.'],
  });
}
