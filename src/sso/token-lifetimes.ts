/**
 * How long each OIDC artifact lives, in seconds. Kept short: codes are single use and ≤10 min
 * (SECURITY.md), access tokens are opaque and checked on every use, refresh tokens are capped by
 * the session limits (session-limits.ts).
 */
export const AUTHORIZATION_CODE_TTL_SECONDS = 60;
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const CLIENT_CREDENTIALS_TTL_SECONDS = 15 * 60;
/** Also decides how long a retired signing key stays published. */
export const ID_TOKEN_TTL_SECONDS = 60 * 60;
/** A sign-in in progress (password, second factor, enrolment) must finish within this. */
export const INTERACTION_TTL_SECONDS = 30 * 60;
/** Grants are renewed at each sign-in; they outlive no refresh token. */
export const GRANT_TTL_SECONDS = 24 * 60 * 60;
