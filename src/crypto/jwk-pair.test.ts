import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newJwkPair } from './jwk-pair.js';

describe('newJwkPair', () => {
  it.each([
    ['RS256', 'RSA', { n: 342 }],
    ['ES256', 'EC', { crv: 'P-256' }],
  ] as const)(
    '%s: a private JWK that signs what its public JWK verifies, no private part in the public one',
    (alg, kty, shape) => {
      const { privateJwk, publicJwk } = newJwkPair(alg);
      expect(privateJwk.kty).toBe(kty);
      expect(publicJwk.kty).toBe(kty);
      if ('n' in shape)
        expect(publicJwk.n).toHaveLength(shape.n); // 2048-bit modulus, base64url
      else expect(publicJwk.crv).toBe(shape.crv);
      expect(privateJwk.d).toBeTruthy();
      expect(publicJwk).not.toHaveProperty('d');
      const data = Buffer.from('portcullis');
      const signature = sign('sha256', data, createPrivateKey({ key: privateJwk, format: 'jwk' }));
      expect(verify('sha256', data, createPublicKey({ key: publicJwk, format: 'jwk' }), signature)).toBe(
        true,
      );
      // A second pair is another key.
      expect(newJwkPair(alg).publicJwk).not.toEqual(publicJwk);
    },
  );
});
