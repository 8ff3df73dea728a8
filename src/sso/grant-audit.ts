import type { Context } from '../context.js';

/** Why a grant ended early. */
export type GrantEnd = 'reuse' | 'revocation' | 'logout' | string;

/**
 * Audits grants that oidc-provider ends outside a Portcullis transaction: a reused code or
 * refresh token (theft detection), a revocation, a logout. These happen inside the protocol
 * library, so the event is written right after; a failure to write it is logged, never hidden.
 */
export class GrantAudit {
  constructor(private readonly ctx: Context) {}

  /** Records that a grant and its tokens were revoked. */
  async revoked(
    grantId: string,
    reason: GrantEnd,
    accountId: string | null,
    clientId: string | null,
  ): Promise<void> {
    try {
      await this.ctx.store.transaction((trx) =>
        this.ctx.audit.append(
          trx,
          { label: 'oidc' },
          {
            action: 'oidc.grant_revoked',
            subject: accountId,
            outcome: reason === 'reuse' ? 'denied' : 'success',
            details: { grantId, reason, client: clientId },
          },
        ),
      );
    } catch (err) {
      this.ctx.logger.error({ err, grantId, reason }, 'could not audit a revoked grant');
    }
  }
}
