import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '../../crypto/constant-time.js';
import { AppError } from '../../shared/errors.js';
import type { HmacHash } from './pskc-types.js';

/** xmldsig HMAC URIs (RFC 3275, RFC 6931) used by PSKC MACMethod and the PBKDF2 PRF. */
const HMAC_URIS: Readonly<Record<string, HmacHash>> = {
  'http://www.w3.org/2000/09/xmldsig#hmac-sha1': 'sha1',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha224': 'sha224',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha384': 'sha384',
  'http://www.w3.org/2001/04/xmldsig-more#hmac-sha512': 'sha512',
};

/** The HMAC hash named by an xmldsig algorithm URI, or undefined when unsupported. */
export function hmacHashFromUri(uri: string): HmacHash | undefined {
  return Object.hasOwn(HMAC_URIS, uri) ? HMAC_URIS[uri] : undefined;
}

/** RFC 6030 §6.1.1: ValueMAC = HMAC(MACKey, CipherValue), CipherValue being IV || ciphertext. */
export function computeValueMac(hash: HmacHash, macKey: Buffer, cipherValue: Buffer): Buffer {
  return createHmac(hash, macKey).update(cipherValue).digest();
}

/** Throws PSKC_MAC_MISMATCH unless `expected` is the MAC of `cipherValue` (constant-time compare). */
export function verifyValueMac(
  hash: HmacHash,
  macKey: Buffer,
  cipherValue: Buffer,
  expected: Buffer,
  where: string,
): void {
  const actual = computeValueMac(hash, macKey, cipherValue);
  if (!constantTimeEqual(actual, expected)) {
    throw new AppError(
      'PSKC_MAC_MISMATCH',
      `${where}: ValueMAC does not match (HMAC-${hash.toUpperCase()}); the file was altered or the key/password is wrong`,
    );
  }
}
