import { z } from 'zod';
import type { OidcClientRow } from '../store/schema.js';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A redirect URI as it must be registered: absolute, https (http only on loopback), no user
 * info (the `127.0.0.1:1@evil` trick) and no fragment, already in normal form — matching is
 * exact string comparison, so what is stored is what the browser will be sent to.
 */
const redirectUri = z
  .string()
  .max(2000)
  .superRefine((value, ctx) => {
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute URI' });
      return;
    }
    const problem =
      u.protocol !== 'https:' && !(u.protocol === 'http:' && LOOPBACK.has(u.hostname))
        ? 'must use https (http only on localhost or a loopback address)'
        : u.username || u.password
          ? 'must not contain user info (user:password@)'
          : u.hash || value.includes('#')
            ? 'must not contain a fragment'
            : u.href !== value
              ? `must be written in normal form: ${u.href}`
              : undefined;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;

/** A client registration (admin API body; the CLI builds the same). */
export const newClientSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    redirectUris: z.array(redirectUri).max(20).default([]),
    postLogoutRedirectUris: z.array(redirectUri).max(20).default([]),
    /** A public client (SPA, native app) has no secret; PKCE is what protects its codes. */
    public: z.boolean().default(false),
    /** First-party clients (the organisation's own applications) skip the consent page. */
    firstParty: z.boolean().default(true),
    grantTypes: z.array(z.enum(GRANT_TYPES)).min(1).max(3).optional(),
    tokenEndpointAuthMethod: z
      .enum(['client_secret_basic', 'client_secret_post'])
      .default('client_secret_basic'),
    idTokenSignedResponseAlg: z.enum(['RS256', 'ES256']).default('RS256'),
  })
  .transform((c) => ({
    ...c,
    grantTypes: [...new Set(c.grantTypes ?? ['authorization_code', 'refresh_token'])],
  }))
  .superRefine((c, ctx) => {
    const signsIn = c.grantTypes.includes('authorization_code');
    if (signsIn && c.redirectUris.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['redirectUris'],
        message: 'authorization_code needs at least one redirect URI',
      });
    }
    if (!signsIn && c.redirectUris.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['redirectUris'],
        message: 'only clients with authorization_code take redirect URIs',
      });
    }
    if (c.grantTypes.includes('refresh_token') && !signsIn) {
      ctx.addIssue({
        code: 'custom',
        path: ['grantTypes'],
        message: 'refresh_token needs authorization_code',
      });
    }
    if (c.public && c.grantTypes.includes('client_credentials')) {
      ctx.addIssue({
        code: 'custom',
        path: ['grantTypes'],
        message: 'a public client cannot use client_credentials',
      });
    }
  });
export type NewClient = z.output<typeof newClientSchema>;

/** oidc-provider metadata for a registration (without its secret). */
export function toOidcMetadata(clientId: string, c: NewClient): Record<string, unknown> {
  return {
    client_id: clientId,
    client_name: c.name,
    redirect_uris: c.redirectUris,
    post_logout_redirect_uris: c.postLogoutRedirectUris,
    grant_types: c.grantTypes,
    response_types: c.grantTypes.includes('authorization_code') ? ['code'] : [],
    token_endpoint_auth_method: c.public ? 'none' : c.tokenEndpointAuthMethod,
    id_token_signed_response_alg: c.idTokenSignedResponseAlg,
    // auth_time in every ID token (SECURITY.md), not only when max_age was asked for.
    require_auth_time: true,
    application_type: 'web',
  };
}

/** What the admin API shows of a client: never its secret. */
export interface ClientView {
  clientId: string;
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: string[];
  public: boolean;
  firstParty: boolean;
  tokenEndpointAuthMethod: string;
  idTokenSignedResponseAlg: string;
  createdAt: string;
}

/** Shapes a stored client for the API, field by field (a secret can never slip in). */
export function toClientView(row: OidcClientRow): ClientView {
  const m = JSON.parse(row.metadata) as Record<string, unknown>;
  const strings = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
  return {
    clientId: row.client_id,
    name: String(m.client_name ?? ''),
    redirectUris: strings(m.redirect_uris),
    postLogoutRedirectUris: strings(m.post_logout_redirect_uris),
    grantTypes: strings(m.grant_types),
    public: m.token_endpoint_auth_method === 'none',
    firstParty: row.first_party === 1,
    tokenEndpointAuthMethod: String(m.token_endpoint_auth_method),
    idTokenSignedResponseAlg: String(m.id_token_signed_response_alg),
    createdAt: new Date(row.created_at).toISOString(),
  };
}
