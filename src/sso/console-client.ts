import { accountClientMetadata } from './account-client.js';

/** The admin console's own client id: /console signs administrators in through the provider. */
export const CONSOLE_CLIENT_ID = 'portcullis-console';
/** How the sign-in pages name it. */
export const CONSOLE_CLIENT_NAME = 'the admin console';
/** Where the provider sends the browser back after signing in for /console. */
export const CONSOLE_CALLBACK_PATH = '/console/signed-in';

/**
 * The console as a static, first-party, public client, exactly like the /account portal: an
 * ordinary sign-in (with MFA), whose code is never redeemed: the console reads the session.
 */
export function consoleClientMetadata(publicUrl: string): Record<string, unknown> {
  return {
    ...accountClientMetadata(publicUrl),
    client_id: CONSOLE_CLIENT_ID,
    client_name: 'Admin console',
    redirect_uris: [`${publicUrl}${CONSOLE_CALLBACK_PATH}`],
  };
}
