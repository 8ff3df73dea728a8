import { createHash, hash, timingSafeEqual } from 'node:crypto';
import { secureRandomBytes } from './random.js';

/**
 * Salted hashes for high-entropy one-time secrets (recovery codes, access passes, API tokens,
 * link tokens). They carry >= 64 bits of entropy, so one SHA-256 round with a per-secret salt is
 * the approved one-way function NIST 800-63B asks for; argon2 is reserved for passwords.
 */
export function hashOneTimeSecret(secret: string): string {
  const salt = secureRandomBytes(16);
  const digest = createHash('sha256').update(salt).update(secret).digest();
  return `s256$${salt.toString('base64url')}$${digest.toString('base64url')}`;
}

/** Checks `secret` against a hash made by hashOneTimeSecret, in constant time. */
export function verifyOneTimeSecret(secret: string, stored: string): boolean {
  const [scheme, saltText, digestText] = stored.split('$');
  if (scheme !== 's256' || !saltText || !digestText) return false;
  const expected = Buffer.from(digestText, 'base64url');
  const actual = createHash('sha256').update(Buffer.from(saltText, 'base64url')).update(secret).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Unsalted SHA-256 for looking a bearer secret up by value (tokens with >= 128 bits of entropy). */
export function lookupHash(secret: string): string {
  // One-shot: every API request hashes its bearer token, and a Hash object costs more than the digest.
  return hash('sha256', secret, 'base64url');
}
