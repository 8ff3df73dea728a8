import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import { lookupHash } from '../crypto/one-time-hash.js';
import { newId, secureRandomBytes } from '../crypto/random.js';
import { AppError } from '../shared/errors.js';
import { apiTokensRepo } from '../store/repos/api-tokens.js';
import { isRole, type Role } from './roles.js';

/** The caller behind a bearer token. */
export interface TokenPrincipal {
  tokenId: string;
  name: string;
  role: Role;
}

export interface TokenView {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const PREFIX = 'pcs_';

/** API bearer tokens: issued once, stored hashed, revocable. */
export class TokenService {
  constructor(private readonly ctx: Context) {}

  /** Creates a token and returns it; this is the only time it exists in clear. */
  async create(actor: Actor, role: string, name: string): Promise<{ id: string; token: string }> {
    if (!isRole(role)) throw new AppError('VALIDATION_FAILED', `unknown role ${role}`);
    const trimmed = name.trim();
    if (trimmed.length === 0 || trimmed.length > 100) {
      throw new AppError('VALIDATION_FAILED', 'name must be 1 to 100 characters');
    }
    const token = PREFIX + secureRandomBytes(32).toString('base64url');
    const id = newId();
    await this.ctx.store.transaction(async (trx) => {
      await apiTokensRepo.insert(trx, {
        id,
        name: trimmed,
        role,
        token_hash: lookupHash(token),
        created_at: this.ctx.clock.now(),
      });
      await this.ctx.audit.append(trx, actor, {
        action: 'token.created',
        subject: id,
        details: { name: trimmed, role },
      });
    });
    return { id, token };
  }

  /** The principal for a presented bearer token, or undefined when unknown or revoked. */
  async authenticate(token: string): Promise<TokenPrincipal | undefined> {
    if (!token.startsWith(PREFIX) || token.length > 200) return undefined;
    // Lookup by SHA-256 of a 256-bit token: no timing signal about the stored value.
    const row = await apiTokensRepo.byHash(this.ctx.store.reader, lookupHash(token));
    if (!row || row.revoked_at !== null || !isRole(row.role)) return undefined;
    return { tokenId: row.id, name: row.name, role: row.role };
  }

  /** Every token, without secrets. */
  async list(): Promise<TokenView[]> {
    const rows = await apiTokensRepo.list(this.ctx.store.db);
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      role: r.role as Role,
      createdAt: new Date(r.created_at).toISOString(),
      lastUsedAt: r.last_used_at ? new Date(r.last_used_at).toISOString() : null,
      revokedAt: r.revoked_at ? new Date(r.revoked_at).toISOString() : null,
    }));
  }

  /** Revokes a token; it stops working on every instance at once (no cache). */
  async revoke(actor: Actor, id: string): Promise<void> {
    await this.ctx.store.transaction(async (trx) => {
      if (!(await apiTokensRepo.byId(trx, id))) throw new AppError('NOT_FOUND', `no token with id ${id}`);
      if (!(await apiTokensRepo.revoke(trx, id, this.ctx.clock.now()))) {
        throw new AppError('INVALID_STATE', `token ${id} is already revoked`);
      }
      await this.ctx.audit.append(trx, actor, { action: 'token.revoked', subject: id });
    });
  }

  /** Whether any token exists (the bootstrap link is offered only before the first). */
  async any(): Promise<boolean> {
    return (await apiTokensRepo.count(this.ctx.store.db)) > 0;
  }
}

/** The audit actor for a token principal. */
export function tokenActor(p: TokenPrincipal, sourceIp?: string | null): Actor {
  return { label: `token:${p.name}(${p.role})`, sourceIp: sourceIp ?? null };
}
