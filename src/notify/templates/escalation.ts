import { mailPaths } from './links.js';
import { formatDate, type MailEnv, plain, type RenderedMail, renderMail } from './mail-layout.js';

export interface EscalationInput {
  /** The manager being written to. */
  managerName: string;
  /** The person who has not enrolled. */
  personName: string;
  personId: string;
  deadline: number;
}

/** To a manager: someone on their team has not enrolled after the reminders. */
export function escalationMail(env: MailEnv, input: EscalationInput): RenderedMail {
  const person = plain(input.personName);
  const by = formatDate(input.deadline);
  return renderMail(env, {
    subject: `${person} has not set up a second sign-in factor`,
    greeting: `Hello ${plain(input.managerName)},`,
    paragraphs: [
      `${person} was asked to set up a second sign-in factor for ${plain(env.orgName)} and has not done so after several reminders.`,
      `From ${by} they can no longer sign in without one. Please make sure they set it up, or ask the IT help desk for help.`,
    ],
    action: { label: `See ${person}'s enrolment`, path: mailPaths.person(input.personId) },
    after: ['You receive this because you are named as their manager.'],
  });
}
