import { createCipheriv, createDecipheriv } from 'node:crypto';
import { secureRandomBytes } from './random.js';

/**
 * AES-256-GCM sealing, the one cipher for everything stored. A sealed value is
 * `v1.<kid>.<iv>.<ciphertext>.<tag>` (base64url parts), so a reader knows which key opens it
 * and `keys rotate` can re-wrap without downtime. `aad` binds a ciphertext to its row and
 * purpose, so a seed copied into another row does not decrypt.
 */
export function seal(key: Buffer, kid: string, plaintext: Buffer, aad: string): string {
  const iv = secureRandomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = cipher.getAuthTag();
  return ['v1', kid, iv.toString('base64url'), ct.toString('base64url'), tag.toString('base64url')].join('.');
}

/** The key id a sealed value names. */
export function sealedKeyId(sealed: string): string {
  const parts = sealed.split('.');
  if (parts.length !== 5 || parts[0] !== 'v1' || !parts[1]) throw new Error('not a sealed value');
  return parts[1];
}

/** Opens a value made by seal(); throws when the key, the aad or any byte is wrong. */
export function open(key: Buffer, sealed: string, aad: string): Buffer {
  const [version, , ivText, ctText, tagText] = sealed.split('.');
  if (version !== 'v1' || ivText === undefined || ctText === undefined || tagText === undefined) {
    throw new Error('not a sealed value');
  }
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivText, 'base64url'));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(Buffer.from(tagText, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ctText, 'base64url')), decipher.final()]);
}
