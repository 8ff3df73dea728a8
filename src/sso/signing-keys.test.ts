import { describe, expect, it } from 'vitest';
import type { OidcSigningKeyRow } from '../store/schema.js';
import { PREPUBLISH_MS, signingKeyAt } from './signing-keys.js';

const key = (
  kid: string,
  created: number,
  retired: number | null = null,
  alg = 'RS256',
): OidcSigningKeyRow => ({
  kid,
  alg,
  private_jwk_enc: 'sealed',
  public_jwk: '{}',
  created_at: created,
  retired_at: retired,
  expires_publish_at: null,
});

describe('signingKeyAt', () => {
  it('signs with the only key at first start, even before it matured', () => {
    expect(signingKeyAt([key('k1', 0)], 'RS256', 1)?.kid).toBe('k1');
  });

  it('after a rotation, keeps the old key until the new one has been published for PREPUBLISH_MS', () => {
    const t = 10 * PREPUBLISH_MS;
    const rows = [key('old', 0, t + PREPUBLISH_MS), key('new', t)];
    expect(signingKeyAt(rows, 'RS256', t)?.kid).toBe('old');
    expect(signingKeyAt(rows, 'RS256', t + PREPUBLISH_MS - 1)?.kid).toBe('old');
    expect(signingKeyAt(rows, 'RS256', t + PREPUBLISH_MS)?.kid).toBe('new');
  });

  it('a rotation right after first start keeps the first key until its retirement', () => {
    const rows = [key('first', 0, 1000 + PREPUBLISH_MS), key('second', 1000)];
    expect(signingKeyAt(rows, 'RS256', 2000)?.kid).toBe('first');
    expect(signingKeyAt(rows, 'RS256', 1000 + PREPUBLISH_MS)?.kid).toBe('second');
  });

  it('picks per algorithm', () => {
    const rows = [key('rsa', 0), key('ec', 0, null, 'ES256')];
    expect(signingKeyAt(rows, 'ES256', 1)?.kid).toBe('ec');
    expect(signingKeyAt(rows, 'PS256', 1)).toBeUndefined();
  });
});
