import { mailPaths } from './links.js';
import { formatDate, type MailEnv, plain, type RenderedMail, renderMail } from './mail-layout.js';

export interface InvitationInput {
  /** How to greet the person (display name or username). */
  name: string;
  /** The single-use enrolment token (it is only ever put in the link). */
  enrolToken: string;
  /** When sign-in without a second factor stops working (ms). */
  deadline: number;
}

/** The invitation's subject (before the layout bounds it). */
export function invitationSubject(env: MailEnv): string {
  return `Set up your second sign-in factor for ${plain(env.orgName)}`;
}

/** The joiner's invitation to enrol a second factor. */
export function invitationMail(env: MailEnv, input: InvitationInput): RenderedMail {
  const org = plain(env.orgName);
  const by = formatDate(input.deadline);
  return renderMail(env, {
    subject: invitationSubject(env),
    greeting: `Hello ${plain(input.name)},`,
    paragraphs: [
      `${org} asks for a second factor when you sign in. Please set one up before ${by}: a passkey or an authenticator app takes a couple of minutes.`,
      'The link below is personal and works once. Do not forward this mail.',
    ],
    action: { label: 'Set up your second factor', path: mailPaths.enrol(input.enrolToken) },
    after: [`After ${by} you can no longer sign in without one. Questions? Ask your IT help desk.`],
  });
}
