import { factorLabel } from '../notify/templates/factor-label.js';
import { mailPaths } from '../notify/templates/links.js';
import {
  formatDate,
  type MailEnv,
  plain,
  type RenderedMail,
  renderMail,
} from '../notify/templates/mail-layout.js';

export interface FactorUpgradeInput {
  name: string;
  requiredTypes: readonly string[];
  phishingResistant: boolean;
  deadline: number;
  /** A reminder rather than the first notice. */
  reminder: boolean;
}

/**
 * To a person who already signs in with a second factor when a new requirement asks for another
 * kind (a mover into a privileged group needs a passkey). No enrolment link: binding a factor
 * next to an existing one needs that factor (SECURITY.md), so the action is the person's own
 * account page, where they sign in first.
 */
export function factorUpgradeMail(env: MailEnv, input: FactorUpgradeInput): RenderedMail {
  const by = formatDate(input.deadline);
  const what = input.phishingResistant
    ? 'a passkey'
    : input.requiredTypes.map((t) => factorLabel(t)).join(' or ');
  return renderMail(env, {
    subject: `${input.reminder ? 'Reminder: add' : 'Add'} ${what} to your ${plain(env.orgName)} account by ${by}`,
    greeting: `Hello ${plain(input.name)},`,
    paragraphs: [
      `Your access at ${plain(env.orgName)} now asks for ${what} when you sign in. Please add one before ${by}; the factor you use today no longer counts on its own for that access.`,
    ],
    action: { label: `Add ${what}`, path: mailPaths.account() },
    after: ['Sign in as usual, then add it from your account page. Questions? Ask your IT help desk.'],
  });
}
