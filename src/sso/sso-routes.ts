import type { FastifyInstance } from 'fastify';
import type { Context } from '../context.js';
import type { Services } from '../services.js';
import { accountRoutes } from '../account/account-routes.js';
import { consoleRoutes } from '../web/console/console-routes.js';
import { passkeyAssetRoutes } from '../web/passkey-assets.js';
import { interactionRoutes } from './interactions/interaction-routes.js';
import { type ObserveRequest, serveTokenDirectly } from './direct-token-route.js';
import { mountProvider, publicRequest } from './mount-provider.js';
import { SsoProtocol } from './protocol.js';
import { policyReauthDue } from './policy-reauth.js';
import { buildProvider } from './provider.js';
import { ProviderHolder } from './provider-holder.js';
import { SsoSessionReader } from './session-reader.js';

/**
 * The SSO face: the OIDC provider (discovery, /oidc/*) and the sign-in pages
 * (/interaction/*). Signing keys are made on first start; the provider is built before the app
 * serves, so a configuration problem stops start-up.
 */
export async function ssoRoutes(
  app: FastifyInstance,
  ctx: Context,
  services: Services,
  observe: ObserveRequest,
): Promise<void> {
  const { sso } = services;
  await sso.signingKeys.ensure();
  const holder = new ProviderHolder(sso.signingKeys, ctx.clock, (keys) =>
    buildProvider(
      ctx,
      {
        grantAudit: sso.grantAudit,
        policyAal: sso.signIn.policyAal,
        reauthDue: policyReauthDue(ctx, services.policy),
      },
      keys,
    ),
  );
  await holder.current();
  await app.register(async (oidc) => mountProvider(oidc, holder, ctx.config.publicUrl));
  serveTokenDirectly(app, holder, publicRequest(ctx.config.publicUrl), observe);
  await app.register(passkeyAssetRoutes);
  await app.register(async (pages) =>
    interactionRoutes(pages, {
      ctx,
      protocol: new SsoProtocol(holder),
      signIn: sso.signIn,
      states: sso.signInStates,
      clients: sso.clients,
    }),
  );
  // The self-service portal reads this provider's session (see src/account).
  await app.register(async (account) =>
    accountRoutes(account, {
      ctx,
      account: services.account,
      clients: sso.clients,
      sessions: new SsoSessionReader(holder),
      passkeys: services.webauthn.available,
    }),
  );
  // So does the admin console (see src/web/console), with MFA required and console roles.
  await app.register(async (console) =>
    consoleRoutes(console, { ctx, services, sessions: new SsoSessionReader(holder) }),
  );
}
