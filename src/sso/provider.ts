import Provider, { type Configuration, interactionPolicy } from 'oidc-provider';
import type { Context } from '../context.js';
import type { GrantAudit } from './grant-audit.js';
import { accountClientMetadata } from './account-client.js';
import { consoleClientMetadata } from './console-client.js';
import { type Aal, ACR_VALUES, aalOfAcr } from './acr-amr.js';
import { storeAdapter } from './adapter.js';
import { signInPolicy } from './interaction-policy.js';
import type { ReauthDue } from './policy-reauth.js';
import { findAccount, loadExistingGrant } from './provider-callbacks.js';
import { renderProviderPage } from './provider-pages.js';
import {
  refreshTokenTtlSeconds,
  type SessionLimits,
  sessionLimits,
  sessionTtlSeconds,
} from './session-limits.js';
import type { PrivateJwk } from './signing-keys.js';
import * as ttl from './token-lifetimes.js';

/** Where oidc-provider's endpoints live; discovery stays at the root (CONTRACT.md). */
export const OIDC_PREFIX = '/oidc';

const ROUTES = {
  authorization: '/auth',
  token: '/token',
  userinfo: '/me',
  jwks: '/jwks',
  end_session: '/session/end',
  revocation: '/token/revocation',
  introspection: '/token/introspection',
  pushed_authorization_request: '/request',
  registration: '/reg',
  device_authorization: '/device/auth',
  code_verification: '/device',
  backchannel_authentication: '/backchannel',
  challenge: '/challenge',
  credential: '/credential',
};

const epochNow = () => Math.floor(Date.now() / 1000);

function tokenTtls(limits: SessionLimits): Configuration['ttl'] {
  return {
    AccessToken: ttl.ACCESS_TOKEN_TTL_SECONDS,
    AuthorizationCode: ttl.AUTHORIZATION_CODE_TTL_SECONDS,
    ClientCredentials: ttl.CLIENT_CREDENTIALS_TTL_SECONDS,
    IdToken: ttl.ID_TOKEN_TTL_SECONDS,
    Interaction: ttl.INTERACTION_TTL_SECONDS,
    Grant: ttl.GRANT_TTL_SECONDS,
    // Idle limit, cut at the overall limit: recomputed each time the session is used.
    Session: (_ctx, session) =>
      Math.max(
        1,
        sessionTtlSeconds(
          limits,
          aalOfAcr(session.acr),
          session.accountId ? session.loginTs : undefined,
          epochNow(),
        ),
      ),
    // Absolute: never past the re-authentication deadline of the sign-in it comes from.
    RefreshToken: (_ctx, token) =>
      Math.max(
        1,
        refreshTokenTtlSeconds(
          limits,
          aalOfAcr(token.acr),
          token.authTime ?? token.iat ?? epochNow(),
          epochNow(),
        ),
      ),
  };
}

/** Cookie names: `__Host-` (Secure, Path=/, no Domain) for the session over HTTPS; interaction cookies are path-scoped, so `__Secure-`. */
function cookieNames(https: boolean) {
  return https
    ? { session: '__Host-pc_session', interaction: '__Secure-pc_interaction', resume: '__Secure-pc_resume' }
    : { session: 'pc_session', interaction: 'pc_interaction', resume: 'pc_resume' };
}

/**
 * oidc-provider, configured for Portcullis: code flow with PKCE S256 for every client, exact
 * redirect URIs, refresh tokens rotated on every use (reuse revokes the grant), first-party
 * clients without consent, our adapter, our signing keys, our pages. Every oidc-provider
 * detail stays in src/sso.
 */
export function buildProvider(
  ctx: Context,
  deps: {
    grantAudit: GrantAudit;
    /** The level the person's policy requires for a client (see signInPolicy). */
    policyAal?: (accountId: string, clientId: string) => Promise<Aal>;
    /** Whether a session is older than a client's policy allows (see policy-reauth.ts). */
    reauthDue?: ReauthDue;
  },
  keys: PrivateJwk[],
): Provider {
  const { config, logger } = ctx;
  const https = config.publicUrl.startsWith('https:');
  const limits = sessionLimits({ maxHours: config.sessionMaxHours, idleMinutes: config.sessionIdleMinutes });
  const cookie = { httpOnly: true, sameSite: 'lax' as const, secure: https, signed: true };
  const provider = new Provider(config.publicUrl, {
    // Sessions end on the runtime's clock (idle and overall limits): see SessionAging.
    adapter: storeAdapter(
      ctx.store,
      ctx.keyring,
      (grantId, accountId) => {
        void deps.grantAudit.revoked(grantId, 'reuse', accountId, null);
      },
      { clock: ctx.clock, limits },
    ),
    jwks: { keys: keys as never },
    // The self-service portal (/account) and the admin console (/console) sign in through the
    // provider as first-party clients.
    clients: [
      accountClientMetadata(config.publicUrl) as never,
      consoleClientMetadata(config.publicUrl) as never,
    ],
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
      token_endpoint_auth_method: 'client_secret_basic',
      require_auth_time: true,
    },
    extraClientMetadata: { properties: ['first_party'] },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    // Browsers may call the token and userinfo endpoints only from a registered redirect URI's origin.
    clientBasedCORS: (koa, origin, client) =>
      (client.clientAuthMethod === 'none' || koa.oidc.route === 'userinfo') &&
      (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin),
    responseTypes: ['code'],
    pkce: { required: () => true },
    allowOmittingSingleRegisteredRedirectUri: false,
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    claims: {
      // acr, amr and auth_time in every ID token, not only when a request names them.
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      profile: ['preferred_username', 'name'],
      email: ['email'],
      acr: null,
      amr: null,
      auth_time: null,
      sid: null,
      iss: null,
    },
    // The ID token carries the scopes' claims too (CONTRACT.md: preferred_username with profile).
    conformIdTokenClaims: false,
    acrValues: [...ACR_VALUES],
    enabledJWA: { idTokenSigningAlgValues: ['RS256', 'ES256'] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // Only the client a token was issued to may introspect it.
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      userinfo: { enabled: true },
      resourceIndicators: { enabled: false },
      registration: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (koa, form) => renderProviderPage(koa, config, { kind: 'logout', form }),
        postLogoutSuccessSource: (koa) => renderProviderPage(koa, config, { kind: 'logged_out' }),
      },
    },
    cookies: {
      keys: [ctx.keyring.macKey('oidc-cookies').toString('base64url')],
      names: cookieNames(https),
      long: cookie,
      short: cookie,
    },
    routes: Object.fromEntries(Object.entries(ROUTES).map(([k, v]) => [k, OIDC_PREFIX + v])),
    interactions: {
      policy: signInPolicy(interactionPolicy, limits, deps.policyAal, deps.reauthDue),
      url: (_koa, interaction) => `/interaction/${interaction.uid}`,
    },
    loadExistingGrant,
    findAccount: findAccount(ctx.store),
    // Refresh tokens for clients allowed them, until the sign-in's re-authentication deadline.
    issueRefreshToken: async (_koa, client, code) => {
      const { acr, authTime } = code as { acr?: string; authTime?: number };
      return (
        client.grantTypeAllowed('refresh_token') &&
        code.scopes.has('openid') &&
        refreshTokenTtlSeconds(limits, aalOfAcr(acr), authTime ?? epochNow(), epochNow()) > 0
      );
    },
    rotateRefreshToken: () => true,
    // Tokens keep their own (short, absolute) lifetimes instead of dying with the SSO session's idleness.
    expiresWithSession: async () => false,
    ttl: tokenTtls(limits),
    renderError: (koa, out) => renderProviderPage(koa, config, { kind: 'error', out: { ...out } }),
  });
  // Over HTTPS the proxy in front terminates TLS; the mount marks requests as https (never the client).
  provider.proxy = https;
  provider.on('server_error', (_koa, err) => logger.error({ err }, 'oidc-provider server error'));
  // oidc-provider ends grants itself on a reused code or refresh token, a revocation, a logout.
  provider.on('grant.revoked', (koa, grantId) => {
    const { entities, route, client } = koa.oidc;
    const source = entities.RefreshToken ?? entities.AuthorizationCode ?? entities.AccessToken;
    const reason = route === 'token' ? 'reuse' : route === 'revocation' ? 'revocation' : String(route);
    void deps.grantAudit.revoked(grantId, reason, source?.accountId ?? null, client?.clientId ?? null);
  });
  return provider;
}
