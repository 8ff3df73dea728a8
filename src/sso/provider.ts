import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { Context } from '../context.js';
import type { IdentityService } from '../identity/identity-service.js';
import { ACR_VALUES } from './acr-amr.js';
import { storeAdapter } from './adapter.js';
import { signInPolicy } from './interaction-policy.js';
import { renderProviderPage } from './provider-pages.js';
import { aalOfAcr } from './acr-amr.js';
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

/** The first-party flag the adapter adds to each client's metadata. */
function firstParty(ctx: KoaContextWithOIDC): boolean {
  return (ctx.oidc.client as unknown as { first_party?: boolean } | undefined)?.first_party === true;
}

/**
 * The existing grant, or for a first-party client a grant of what it asks for (no consent page
 * for the organisation's own applications). Third-party clients go through consent.
 */
async function loadExistingGrant(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const client = oidc.client!;
  const accountId = oidc.session!.accountId!;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(client.clientId);
  let grant = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (grant && grant.accountId !== accountId) grant = undefined;
  if (!firstParty(ctx)) return grant;
  grant ??= new oidc.provider.Grant({ clientId: client.clientId, accountId });
  grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
  const claims = [...oidc.requestParamClaims];
  if (claims.length) grant.addOIDCClaims(claims);
  await grant.save();
  return grant;
}

/** Claims of an active person (anyone else has no account as far as OIDC goes). */
function findAccount(identity: IdentityService): Configuration['findAccount'] {
  return async (_ctx, sub) => {
    const person = await identity.get(sub).catch(() => undefined);
    if (person?.status !== 'active') return undefined;
    return {
      accountId: person.id,
      async claims() {
        return {
          sub: person.id,
          preferred_username: person.username,
          ...(person.displayName ? { name: person.displayName } : {}),
          ...(person.email ? { email: person.email } : {}),
        };
      },
    };
  };
}

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
export function buildProvider(ctx: Context, identity: IdentityService, keys: PrivateJwk[]): Provider {
  const { config, logger } = ctx;
  const https = config.publicUrl.startsWith('https:');
  const limits = sessionLimits({ maxHours: config.sessionMaxHours, idleMinutes: config.sessionIdleMinutes });
  const cookie = { httpOnly: true, sameSite: 'lax' as const, secure: https, signed: true };
  const provider = new Provider(config.publicUrl, {
    adapter: storeAdapter(ctx.store, ctx.keyring),
    jwks: { keys: keys as never },
    clients: [],
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
      token_endpoint_auth_method: 'client_secret_basic',
      require_auth_time: true,
    },
    extraClientMetadata: { properties: ['first_party'] },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
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
      policy: signInPolicy(limits),
      url: (_koa, interaction) => `/interaction/${interaction.uid}`,
    },
    loadExistingGrant,
    findAccount: findAccount(identity),
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
  return provider;
}
