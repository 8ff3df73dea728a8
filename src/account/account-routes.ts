import type { FastifyInstance } from 'fastify';
import { ACCOUNT_CALLBACK_PATH } from '../sso/account-client.js';
import { newNonce } from '../sso/pages/security-headers.js';
import { type AccountRouteDeps, accountPortal } from './account-portal.js';
import { factorRoutes } from './factor-routes.js';
import { notSignedInPage } from './pages/setup-pages.js';

export type { AccountRouteDeps } from './account-portal.js';

/**
 * The self-service portal at /account. The person signs in through the provider as the
 * first-party client `portcullis-account`; the portal then reads the provider's session.
 * Every form carries a CSRF token bound to the session; every change needs a fresh sign-in.
 * The pages and the sign-in round trip are here; changing factors is in factor-routes.ts.
 */
export async function accountRoutes(app: FastifyInstance, deps: AccountRouteDeps): Promise<void> {
  const { account } = deps;
  const portal = accountPortal(app, deps);
  const { send, signIn, signedIn } = portal;

  app.get('/account', (request, reply) => portal.overview(request, reply));

  app.get(ACCOUNT_CALLBACK_PATH, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const nonce = newNonce();
    if (query.error) return send(reply, nonce, notSignedInPage(portal.contextFor(undefined, nonce)));
    return reply.redirect(
      String(query.state ?? '').startsWith('reauth.') ? '/account?done=verified' : '/account',
      303,
    );
  });

  app.get('/account/verify', async (request, reply) => {
    const me = await signedIn(request, reply);
    if (!me) return signIn(reply);
    return signIn(reply, { reauth: true, aal: await account.requiredAal(me.person.id) });
  });

  factorRoutes(app, deps, portal);
}
