import { createPublicKey, type JsonWebKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREPUBLISH_MS, PUBLISH_AFTER_RETIRE_MS } from '../src/sso/signing-keys.js';
import { DIALECTS } from './support/databases.js';
import { createPerson, issueTotp } from './support/people.js';
import type { TestRuntime } from './support/runtime.js';
import { decodeJwt, listeningRuntime, relyingParty, signInWithTotp } from './support/sso.js';

describe.each(DIALECTS)('ID-token signing keys on %s', (dialect) => {
  let rt: TestRuntime & { url: string };
  let code: () => string;

  beforeAll(async () => {
    rt = await listeningRuntime(dialect);
    const p = await createPerson(rt, 'keys-ivy', { password: 'ivy password 1' });
    const t = await issueTotp(rt, p.id, await rt.token('admin'));
    code = () => {
      rt.clock.advance(30_000);
      return t.code();
    };
  });
  afterAll(() => rt.dispose());

  const jwksKids = async () => {
    const res = await fetch(`${rt.url}/oidc/jwks`);
    return ((await res.json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
  };

  it('stores the private keys sealed, never in clear', async () => {
    const rows = await rt.ctx.store.db.selectFrom('oidc_signing_keys').selectAll().execute();
    expect(rows.map((r) => r.alg).sort()).toEqual(['ES256', 'RS256']);
    for (const r of rows) {
      expect(r.private_jwk_enc.startsWith('v1.')).toBe(true);
      expect(r.private_jwk_enc).not.toContain('"d"');
      expect(JSON.parse(r.public_jwk).d).toBeUndefined();
    }
  });

  it('rotation: the new kid is published first, then signs; the old one stays until its tokens expire', async () => {
    const rp = await relyingParty(rt);
    const idToken = async (party: typeof rp) =>
      decodeJwt((await signInWithTotp(rt, party, 'keys-ivy', 'ivy password 1', code)).tokens.id_token!)
        .header;
    const before = await idToken(rp);
    const rotated = await rt.services.sso.signingKeys.rotate({ label: 'test' });
    expect(rotated.retired).toContain(before.kid);
    const newKid = rotated.kids.find((k) => k !== before.kid)!;
    expect(await jwksKids()).toEqual(expect.arrayContaining([before.kid, ...rotated.kids]));
    // Pre-publication: a relying party that fetches the JWKS now holds the new kid before any token carries it.
    const rp2 = await relyingParty(rt);
    expect((await idToken(rp2)).kid).toBe(before.kid);
    rt.clock.advance(PREPUBLISH_MS);
    const after = await idToken(rp2);
    expect(after.kid).not.toBe(before.kid);
    expect(rotated.kids).toContain(after.kid);
    expect(after.alg === 'RS256' && rotated.kids.includes(newKid)).toBe(true);
    expect(await jwksKids()).toContain(before.kid);
    rt.clock.advance(PUBLISH_AFTER_RETIRE_MS + 1000);
    const later = await jwksKids();
    expect(later).not.toContain(before.kid);
    expect(later).toContain(after.kid);
    const events = await rt.ctx.store.db
      .selectFrom('audit_events')
      .select('action')
      .where('action', '=', 'oidc.key_rotated')
      .execute();
    expect(events).toHaveLength(2);
  });

  it('signs with ES256 for a client that asks for it', async () => {
    const rp = await relyingParty(rt, { idTokenSignedResponseAlg: 'ES256' });
    const { tokens } = await signInWithTotp(rt, rp, 'keys-ivy', 'ivy password 1', code);
    expect(decodeJwt(tokens.id_token!).header.alg).toBe('ES256');
    expect(tokens.claims()?.preferred_username).toBe('keys-ivy');
  });

  it('the ID token verifies with the published key of its kid; a tampered one does not', async () => {
    const rp = await relyingParty(rt);
    const { tokens } = await signInWithTotp(rt, rp, 'keys-ivy', 'ivy password 1', code);
    const jwks = (await (await fetch(`${rt.url}/oidc/jwks`)).json()) as {
      keys: Array<JsonWebKey & { kid: string }>;
    };
    const verifies = (jwt: string) => {
      const [h = '', p = '', sig = ''] = jwt.split('.');
      const jwk = jwks.keys.find((k) => k.kid === decodeJwt(jwt).header.kid);
      if (!jwk) return false;
      const key = createPublicKey({ key: jwk, format: 'jwk' });
      return verify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(sig, 'base64url'));
    };
    expect(verifies(tokens.id_token!)).toBe(true);
    const [h, p, sig] = tokens.id_token!.split('.');
    const forged = {
      ...JSON.parse(Buffer.from(p!, 'base64url').toString()),
      acr: 'http://idmanagement.gov/ns/assurance/aal/3',
    };
    expect(verifies([h, Buffer.from(JSON.stringify(forged)).toString('base64url'), sig].join('.'))).toBe(
      false,
    );
  });
});
