import type { Context } from '../context.js';
import { lookupHash } from '../crypto/one-time-hash.js';
import { newId, secureRandomBytes } from '../crypto/random.js';
import { AppError } from '../shared/errors.js';
import type { TokenService } from './token-service.js';

const LIFETIME_MS = 24 * 60 * 60 * 1000;

/**
 * The first administrator's way in: on an empty database `serve` mints one single-use link;
 * redeeming it yields the first admin API token. Redemption is an atomic conditional update,
 * so two instances cannot both redeem it.
 */
export class BootstrapService {
  constructor(
    private readonly ctx: Context,
    private readonly tokens: TokenService,
  ) {}

  /** A new bootstrap secret when no API token and no live bootstrap link exist; else undefined. */
  async mintIfEmpty(): Promise<string | undefined> {
    if (await this.tokens.any()) return undefined;
    const now = this.ctx.clock.now();
    const secret = secureRandomBytes(24).toString('base64url');
    return this.ctx.store.transaction(async (trx) => {
      // One live link at a time: a restart replaces the previous one.
      await trx.updateTable('bootstrap_tokens').set({ used_at: now }).where('used_at', 'is', null).execute();
      await trx
        .insertInto('bootstrap_tokens')
        .values({
          id: newId(),
          token_hash: lookupHash(secret),
          created_at: now,
          expires_at: now + LIFETIME_MS,
          used_at: null,
        })
        .execute();
      await this.ctx.audit.append(trx, { label: 'system' }, { action: 'bootstrap.link_created' });
      return secret;
    });
  }

  /** Whether a bootstrap secret is live (for the page). */
  async isLive(secret: string): Promise<boolean> {
    const row = await this.ctx.store.db
      .selectFrom('bootstrap_tokens')
      .select(['used_at', 'expires_at'])
      .where('token_hash', '=', lookupHash(secret))
      .executeTakeFirst();
    return !!row && row.used_at === null && row.expires_at > this.ctx.clock.now();
  }

  /** Redeems the link once and returns the first admin token. */
  async redeem(secret: string, sourceIp: string | null): Promise<{ token: string }> {
    const now = this.ctx.clock.now();
    const claimed = await this.ctx.store.transaction(async (trx) => {
      const r = await trx
        .updateTable('bootstrap_tokens')
        .set({ used_at: now })
        .where('token_hash', '=', lookupHash(secret))
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      const ok = Number(r.numUpdatedRows) === 1;
      await this.ctx.audit.append(
        trx,
        { label: 'bootstrap', sourceIp },
        { action: 'bootstrap.redeemed', outcome: ok ? 'success' : 'failure' },
      );
      return ok;
    });
    if (!claimed) throw new AppError('NOT_FOUND', 'this bootstrap link is unknown, used or expired');
    const { token } = await this.tokens.create(
      { label: 'bootstrap', sourceIp },
      'admin',
      'first administrator',
    );
    return { token };
  }
}
