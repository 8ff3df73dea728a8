import { factorLabel } from './factor-label.js';
import { mailPaths } from './links.js';
import { formatDate, type MailEnv, plain, type RenderedMail, renderMail } from './mail-layout.js';

export interface FactorChangeInput {
  name: string;
  /** Authenticator type (`totp`, `webauthn`, …). */
  factorType: string;
  /** The factor's own name, when it has one. */
  factorName?: string | null;
  /** When it happened (ms). */
  at: number;
}

/** Tells a person a factor was added to their account (so a stranger's addition shows). */
export function factorAddedMail(env: MailEnv, input: FactorChangeInput): RenderedMail {
  return renderMail(env, {
    subject: `A sign-in factor was added to your ${plain(env.orgName)} account`,
    greeting: `Hello ${plain(input.name)},`,
    paragraphs: [
      `On ${formatDate(input.at)}, ${factorLabel(input.factorType, input.factorName)} was added to your account.`,
    ],
    action: { label: 'Review your sign-in factors', path: mailPaths.account() },
    after: ['If this was not you, review your factors now and tell your IT help desk at once.'],
  });
}
