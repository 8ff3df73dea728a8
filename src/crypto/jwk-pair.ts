import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey } from 'node:crypto';

/** The signature algorithms Portcullis makes keys for. */
export type JwkPairAlg = 'RS256' | 'ES256';

/**
 * A fresh key pair for `alg` as JWKs (RSA 2048 or P-256), without `kid`, `alg` or `use`.
 *
 * The pair comes out of key generation as DER and is read back into key objects of its own
 * before the JWK export. Exporting a JWK from the key objects key generation returns can hang
 * the process on Node 20: they share a lock with the generation job, and a garbage collection
 * during the export that frees the job takes that lock again on the same thread. (Seen as a test
 * run that never ended: gdb showed the main thread waiting on a mutex it owned itself, in
 * ~KeyGenJob under ExportJWKRsaKey.)
 */
export function newJwkPair(alg: JwkPairAlg): { privateJwk: JsonWebKey; publicJwk: JsonWebKey } {
  const publicKeyEncoding = { type: 'spki', format: 'der' } as const;
  const privateKeyEncoding = { type: 'pkcs8', format: 'der' } as const;
  const der: { publicKey: Buffer; privateKey: Buffer } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding, privateKeyEncoding })
      : generateKeyPairSync('ec', { namedCurve: 'P-256', publicKeyEncoding, privateKeyEncoding });
  const privateKey = createPrivateKey({ key: der.privateKey, format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey({ key: der.publicKey, format: 'der', type: 'spki' });
  der.privateKey.fill(0);
  return { privateJwk: privateKey.export({ format: 'jwk' }), publicJwk: publicKey.export({ format: 'jwk' }) };
}
