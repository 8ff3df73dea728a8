/** The self-service portal's own client id: /account signs people in through the provider like any application. */
export const ACCOUNT_CLIENT_ID = 'portcullis-account';
/** How the sign-in pages name it. */
export const ACCOUNT_CLIENT_NAME = 'your account settings';
/** Where the provider sends the browser back after signing in for /account. */
export const ACCOUNT_CALLBACK_PATH = '/account/signed-in';

/**
 * The portal as a static, first-party, public client (no secret, PKCE, no consent): signing in
 * to /account is an ordinary sign-in, with the same pages, factors, levels and session. The
 * code it gets back is never redeemed: the portal reads the provider's session instead.
 */
export function accountClientMetadata(publicUrl: string): Record<string, unknown> {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: 'Account settings',
    redirect_uris: [`${publicUrl}${ACCOUNT_CALLBACK_PATH}`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    id_token_signed_response_alg: 'RS256',
    require_auth_time: true,
    application_type: 'web',
    first_party: true,
  };
}
