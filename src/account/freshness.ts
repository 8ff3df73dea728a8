import { type Aal, aalOfAcr } from '../sso/acr-amr.js';

/** How long after authenticating a person may change their factors without proving it again. */
export const FRESH_SECONDS = 5 * 60;

/**
 * Whether a session is fresh enough to change sign-in factors: authenticated within the last
 * five minutes, at least at `required` (the level of the strongest factor the person holds, so
 * a stolen AAL2 session cannot replace an AAL3 passkey). Pure; times in epoch seconds.
 */
export function isFresh(
  session: { acr: string | undefined; loginTs: number },
  required: Aal,
  now: number,
): boolean {
  const age = now - session.loginTs;
  return age >= 0 && age <= FRESH_SECONDS && aalOfAcr(session.acr) >= required;
}
