import { mailPaths } from './links.js';
import { formatDate, type MailEnv, plain, type RenderedMail, renderMail } from './mail-layout.js';

export interface ReminderInput {
  name: string;
  /** A single-use enrolment token (it is only ever put in the link). */
  enrolToken: string;
  /** When sign-in without a second factor stops working (ms). */
  deadline: number;
}

/** The reminder's subject (before the layout bounds it). */
export function reminderSubject(input: Pick<ReminderInput, 'deadline'>): string {
  return `Reminder: set up your second sign-in factor by ${formatDate(input.deadline)}`;
}

/** A reminder to a person who has not enrolled yet. */
export function reminderMail(env: MailEnv, input: ReminderInput): RenderedMail {
  const by = formatDate(input.deadline);
  return renderMail(env, {
    subject: reminderSubject(input),
    greeting: `Hello ${plain(input.name)},`,
    paragraphs: [
      `You have not set up a second sign-in factor for ${plain(env.orgName)} yet. Please do it before ${by}.`,
    ],
    action: { label: 'Set up your second factor', path: mailPaths.enrol(input.enrolToken) },
    after: ['The link is personal and works once. Questions? Ask your IT help desk.'],
  });
}
