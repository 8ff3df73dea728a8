import { mailPaths } from './links.js';
import { formatDate, type MailEnv, plain, type RenderedMail, renderMail } from './mail-layout.js';

/** The steps of a help-desk recovery a person is told about. */
export type RecoveryStage = 'requested' | 'approved' | 'rejected' | 'completed';

export interface RecoveryInput {
  name: string;
  stage: RecoveryStage;
  /** The recovery request's reference, for the help desk. */
  reference: string;
  at: number;
}

const WHAT: Record<RecoveryStage, string> = {
  requested: 'A help-desk agent opened a request to recover sign-in for your account',
  approved: 'The request to recover sign-in for your account was approved',
  rejected: 'The request to recover sign-in for your account was turned down',
  completed: 'Sign-in for your account was recovered and a new factor was set up',
};

/** Tells a person about each step of a recovery of their account. */
export function recoveryMail(env: MailEnv, input: RecoveryInput): RenderedMail {
  return renderMail(env, {
    subject: `Account recovery ${input.stage}: ${plain(env.orgName)}`,
    greeting: `Hello ${plain(input.name)},`,
    paragraphs: [
      `${WHAT[input.stage]} on ${formatDate(input.at)} (reference ${plain(input.reference, 40)}).`,
    ],
    action: { label: 'Review your sign-in factors', path: mailPaths.account() },
    after: [
      'If you did not ask for this, tell your IT help desk at once: someone may be trying to take over your account.',
    ],
  });
}
