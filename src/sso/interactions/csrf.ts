import { constantTimeEqual } from '../../crypto/constant-time.js';
import type { Keyring } from '../../crypto/keyring.js';

/**
 * CSRF tokens for the sign-in forms: an HMAC (key derived from the master key) of the
 * interaction id and the form's name. A token works only for that form of that sign-in, and the
 * interaction itself is only reachable with its signed, HttpOnly, SameSite cookie.
 */
export function csrfToken(keyring: Keyring, uid: string, form: string): string {
  return keyring.mac('sso-csrf', `${uid}:${form}`);
}

/** Whether `presented` is the token of this form of this sign-in (constant time). */
export function csrfValid(keyring: Keyring, uid: string, form: string, presented: unknown): boolean {
  return typeof presented === 'string' && constantTimeEqual(presented, csrfToken(keyring, uid, form));
}
