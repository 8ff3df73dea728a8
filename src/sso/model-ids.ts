import { lookupHash } from '../crypto/one-time-hash.js';

/**
 * Ids come from cookies, codes and tokens that anyone can send. One no model of ours could have
 * (a NUL byte, which PostgreSQL refuses in text, or an absurd length) is simply not found.
 */
export function plausible(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= 512 && !id.includes('\0');
}

/**
 * Model ids are bearer values (an access or refresh token, a code, a session cookie), so they are
 * stored only as SHA-256 lookups: a database dump holds no usable token. Grant ids, which tokens
 * refer to, stay as they are in `grant_id`.
 */
export const key = (id: string) => lookupHash(id);
