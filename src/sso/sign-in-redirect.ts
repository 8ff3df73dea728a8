import { createHash } from 'node:crypto';
import { secureRandomBytes } from '../crypto/random.js';
import { type Aal, ACR_BY_AAL } from './acr-amr.js';
import { OIDC_PREFIX } from './provider.js';

/** Options of a first-party page's sign-in redirect. */
export interface SignInRedirect {
  clientId: string;
  /** The client's redirect URI (absolute). */
  redirectUri: string;
  /** Sign in again even with a session (`prompt=login`). */
  reauth?: boolean;
  /** At least this level (`acr_values`). */
  aal?: Aal;
}

/**
 * Where a first-party page (/account, /console) sends the browser to sign in through the
 * provider. PKCE is required of every client; the code is never redeemed (the page reads the
 * session). The state says only whether this was a re-authentication.
 */
export function signInUrl(opts: SignInRedirect): string {
  const verifier = secureRandomBytes(32).toString('base64url');
  const q = new URLSearchParams({
    client_id: opts.clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: opts.redirectUri,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: `${opts.reauth ? 'reauth' : 'signin'}.${secureRandomBytes(16).toString('base64url')}`,
  });
  if (opts.reauth) q.set('prompt', 'login');
  if (opts.aal) q.set('acr_values', ACR_BY_AAL[opts.aal]);
  return `${OIDC_PREFIX}/auth?${q}`;
}
