import type { FactorChangeInput } from './factor-added.js';
import { factorLabel } from './factor-label.js';
import { mailPaths } from './links.js';
import { formatDate, type MailEnv, plain, type RenderedMail, renderMail } from './mail-layout.js';

/** Tells a person a factor was removed or revoked from their account. */
export function factorRemovedMail(env: MailEnv, input: FactorChangeInput): RenderedMail {
  return renderMail(env, {
    subject: `A sign-in factor was removed from your ${plain(env.orgName)} account`,
    greeting: `Hello ${plain(input.name)},`,
    paragraphs: [
      `On ${formatDate(input.at)}, ${factorLabel(input.factorType, input.factorName)} was removed from your account. It no longer works for signing in.`,
    ],
    action: { label: 'Review your sign-in factors', path: mailPaths.account() },
    after: ['If this was not you, tell your IT help desk at once.'],
  });
}
