import type { JsonWebKey } from 'node:crypto';
import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import { newJwkPair } from '../crypto/jwk-pair.js';
import { newId } from '../crypto/random.js';
import type { Db } from '../store/open-store.js';
import { oidcSigningKeysRepo } from '../store/repos/oidc-signing-keys.js';
import type { OidcSigningKeyRow } from '../store/schema.js';
import { ID_TOKEN_TTL_SECONDS } from './token-lifetimes.js';

/** The algorithms Portcullis signs ID tokens with: RS256 by default (every RP accepts it), ES256 on request. */
export const SIGNING_ALGS = ['RS256', 'ES256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

/**
 * A new key is published this long before it signs: relying parties cache the JWKS (openid-client
 * up to 5 min, jose 10 min), so by the time a token carries the new kid they already hold it.
 */
export const PREPUBLISH_MS = 10 * 60 * 1000;

/** A retired key stays published this long: the longest-lived token it signed, plus slack for RP caches and clocks. */
export const PUBLISH_AFTER_RETIRE_MS = (ID_TOKEN_TTL_SECONDS + 10 * 60) * 1000;

/** A private JWK as oidc-provider loads it. */
export type PrivateJwk = JsonWebKey & { kid: string; alg: SigningAlg; use: 'sig'; key_ops?: string[] };

/** The keys the provider loads, and when that set next changes by itself (a retired key's publication ends). */
export interface Keystore {
  keys: PrivateJwk[];
  /** Identifies the set: the provider is rebuilt when it changes. */
  version: string;
  /** ms (ctx.clock) when a published key drops out; null when none will. */
  nextChange: number | null;
}

const SYSTEM: Actor = { label: 'system' };

function aad(kid: string): string {
  return `oidc-key:${kid}`;
}

/** A fresh key pair for `alg` with a new, random `kid` (relying parties cache keys by kid). */
function generate(alg: SigningAlg): { kid: string; privateJwk: PrivateJwk; publicJwk: JsonWebKey } {
  const kid = newId();
  const { privateJwk, publicJwk } = newJwkPair(alg);
  const meta = { kid, alg, use: 'sig' as const };
  return { kid, privateJwk: { ...privateJwk, ...meta }, publicJwk: { ...publicJwk, ...meta } };
}

/**
 * Which key of each algorithm signs at `now`: the newest one published for at least
 * PREPUBLISH_MS and not retired; while none is (first start, or just after a rotation of a young
 * key), the oldest unretired one. Pure.
 */
export function signingKeyAt(
  rows: readonly OidcSigningKeyRow[],
  alg: string,
  now: number,
): OidcSigningKeyRow | undefined {
  const live = rows.filter((r) => r.alg === alg && (r.retired_at === null || r.retired_at > now));
  const mature = live.filter((r) => r.created_at + PREPUBLISH_MS <= now);
  const newest = (xs: OidcSigningKeyRow[]) =>
    xs.reduce<OidcSigningKeyRow | undefined>(
      (a, r) => (!a || r.created_at > a.created_at ? r : a),
      undefined,
    );
  const oldest = (xs: OidcSigningKeyRow[]) =>
    xs.reduce<OidcSigningKeyRow | undefined>(
      (a, r) => (!a || r.created_at < a.created_at ? r : a),
      undefined,
    );
  return newest(mature) ?? oldest(live);
}

/**
 * ID-token signing keys: made at first start, stored sealed, rotated with pre-publication (the
 * new kid is in the JWKS before it signs) and the old keys kept in the JWKS until the tokens
 * they signed have expired. Each change is audited.
 */
export class SigningKeyService {
  /** Bumped by every rotation in this process, so its provider picks the new key up at once. */
  generation = 0;

  constructor(private readonly ctx: Context) {}

  /** Creates a key for every algorithm that has none current (the first start). */
  async ensure(actor: Actor = SYSTEM): Promise<void> {
    const current = await oidcSigningKeysRepo.current(this.ctx.store.db);
    const missing = SIGNING_ALGS.filter((alg) => !current.some((k) => k.alg === alg));
    if (missing.length === 0) return;
    await this.ctx.store.transaction(async (trx) => {
      for (const alg of missing) {
        const kid = await this.insert(trx, alg);
        await this.ctx.audit.append(trx, actor, {
          action: 'oidc.key_created',
          subject: kid,
          details: { alg },
        });
      }
    });
    this.generation += 1;
  }

  /**
   * A new key per algorithm: published at once, signing from PREPUBLISH_MS on, when the old
   * ones retire (they stay published until the tokens they signed have expired).
   */
  async rotate(actor: Actor): Promise<{ kids: string[]; retired: string[]; signsFrom: string }> {
    const result = await this.ctx.store.transaction(async (trx) => {
      const now = this.ctx.clock.now();
      const switchAt = now + PREPUBLISH_MS;
      const kids: string[] = [];
      const retired: string[] = [];
      const old = await oidcSigningKeysRepo.current(trx);
      for (const alg of SIGNING_ALGS) {
        const kid = await this.insert(trx, alg);
        kids.push(kid);
        const previous = old.filter((k) => k.alg === alg).map((k) => k.kid);
        for (const p of previous) {
          if (await oidcSigningKeysRepo.retire(trx, p, switchAt, switchAt + PUBLISH_AFTER_RETIRE_MS))
            retired.push(p);
        }
        await this.ctx.audit.append(trx, actor, {
          action: 'oidc.key_rotated',
          subject: kid,
          details: {
            alg,
            newKid: kid,
            retiredKids: previous,
            signsFrom: new Date(switchAt).toISOString(),
            oldPublishedUntil: new Date(switchAt + PUBLISH_AFTER_RETIRE_MS).toISOString(),
          },
        });
      }
      return { kids, retired, signsFrom: new Date(switchAt).toISOString() };
    });
    this.generation += 1;
    return result;
  }

  /** The public keys published now (the JWKS as relying parties see it). */
  async publicKeys(): Promise<JsonWebKey[]> {
    const rows = await oidcSigningKeysRepo.published(this.ctx.store.db, this.ctx.clock.now());
    return rows.map((r) => JSON.parse(r.public_jwk) as JsonWebKey);
  }

  /**
   * The keys for the provider: the signing key of each algorithm first, then every other
   * published key marked verify-only (it is in the JWKS and signs nothing).
   */
  async keystore(): Promise<Keystore> {
    const now = this.ctx.clock.now();
    const rows = await oidcSigningKeysRepo.published(this.ctx.store.db, now);
    const signers = SIGNING_ALGS.map((alg) => signingKeyAt(rows, alg, now)).filter((r) => r !== undefined);
    const others = rows.filter((r) => !signers.includes(r));
    const keys: PrivateJwk[] = [];
    for (const r of [...signers, ...others]) {
      const jwk = JSON.parse(
        (await this.ctx.keyring.decrypt(r.private_jwk_enc, aad(r.kid))).toString('utf8'),
      );
      keys.push(signers.includes(r) ? jwk : { ...jwk, key_ops: ['verify'] });
    }
    // The set changes by itself when a key matures, retires, or leaves the JWKS.
    const moments = rows
      .flatMap((r) => [r.created_at + PREPUBLISH_MS, r.retired_at, r.expires_publish_at])
      .filter((t): t is number => t !== null && t > now);
    return {
      keys,
      version: [...signers, ...others].map((r) => r.kid).join(','),
      nextChange: moments.length ? Math.min(...moments) : null,
    };
  }

  private async insert(trx: Db, alg: SigningAlg): Promise<string> {
    const { kid, privateJwk, publicJwk } = generate(alg);
    await oidcSigningKeysRepo.insert(trx, {
      kid,
      alg,
      private_jwk_enc: this.ctx.keyring.encrypt(Buffer.from(JSON.stringify(privateJwk)), aad(kid)),
      public_jwk: JSON.stringify(publicJwk),
      created_at: this.ctx.clock.now(),
      retired_at: null,
      expires_publish_at: null,
    });
    return kid;
  }
}
