import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import { AppError } from '../shared/errors.js';
import type { Db } from '../store/open-store.js';
import { authenticatorsRepo } from '../store/repos/authenticators.js';
import { oneTimeCodesRepo } from '../store/repos/one-time-codes.js';
import { usersRepo } from '../store/repos/users.js';
import { webauthnCredentialsRepo } from '../store/repos/webauthn.js';
import type { AuthenticatorRow } from '../store/schema.js';
import { type AuthenticatorView, toAuthenticatorView } from './authenticator-view.js';
import { auditSubject, changeState } from './change-state.js';
import { type IssuedAuthenticator, issueAuthenticator, issueAuthenticatorIn } from './issue-authenticator.js';
import { redeemOneTimeCode } from './redeem-one-time-code.js';
import type { LifecycleAction } from './states.js';

/** A check before a stand-alone issue: refuses (throws) or answers the request to issue. */
export type IssueCheck = (actor: Actor, userId: string, body: unknown) => Promise<unknown>;

/**
 * Authenticators: issue, read, move through their lifecycle, redeem single-use codes. Every
 * write is one transaction with its audit event; no read ever returns a secret or a code.
 */
export class AuthenticatorService {
  private readonly issueChecks: IssueCheck[] = [];

  constructor(private readonly ctx: Context) {}

  /** Registers a check every stand-alone issue passes first (the composition root wires policy's). */
  checkIssues(check: IssueCheck): void {
    this.issueChecks.push(check);
  }

  /** Issues an authenticator to an active person; the answer shows its secret or codes this once. */
  async issue(actor: Actor, userId: string, body: unknown): Promise<IssuedAuthenticator> {
    let checked = body;
    for (const check of this.issueChecks) checked = await check(actor, userId, checked);
    return issueAuthenticator(this.ctx, actor, userId, checked);
  }

  /** Issues inside the caller's transaction (recovery issues its pass with the approval). */
  issueIn(trx: Db, actor: Actor, userId: string, body: unknown): Promise<IssuedAuthenticator> {
    return issueAuthenticatorIn(this.ctx, trx, actor, userId, body);
  }

  /** Revokes, inside the caller's transaction, every live authenticator of a person but `keep`; their ids. */
  async revokeAllIn(
    trx: Db,
    actor: Actor,
    userId: string,
    reason: string,
    keep: string[],
  ): Promise<string[]> {
    // The person's row first, as the leaver and issuing take it: the same lock order, no deadlock.
    await usersRepo.byIdForUpdate(trx, userId, this.ctx.store.caps.rowLocks);
    const live = (await authenticatorsRepo.forUser(trx, userId)).filter(
      (r) => r.state !== 'revoked' && !keep.includes(r.id),
    );
    for (const row of live) await changeState(this.ctx, trx, actor, row, 'revoke', reason);
    return live.map((r) => r.id);
  }

  /** A person's authenticators, oldest first (revoked ones too); NOT_FOUND for an unknown person. */
  async list(userId: string): Promise<AuthenticatorView[]> {
    const db = this.ctx.store.db;
    if (!(await usersRepo.byId(db, userId))) throw new AppError('NOT_FOUND', `no person with id ${userId}`);
    return this.views(db, await authenticatorsRepo.forUser(db, userId));
  }

  /** One authenticator, or NOT_FOUND. */
  async get(id: string): Promise<AuthenticatorView> {
    const db = this.ctx.store.db;
    return this.view(db, await this.load(db, id));
  }

  /** Revokes for good (its unused codes die with it); INVALID_STATE when already revoked. */
  revoke(actor: Actor, id: string, reason: string): Promise<AuthenticatorView> {
    return this.transition(actor, id, 'revoke', reason);
  }

  /** Marks lost: it stops working and can afterwards only be revoked. */
  markLost(actor: Actor, id: string, reason: string | null = null): Promise<AuthenticatorView> {
    return this.transition(actor, id, 'markLost', reason);
  }

  /** Suspends: it stops working until reactivated. */
  suspend(actor: Actor, id: string, reason: string | null = null): Promise<AuthenticatorView> {
    return this.transition(actor, id, 'suspend', reason);
  }

  /** Ends a suspension: back to active, or to pending when it was never used. */
  reactivate(actor: Actor, id: string, reason: string | null = null): Promise<AuthenticatorView> {
    return this.transition(actor, id, 'reactivate', reason);
  }

  /** Sets or clears the display name. */
  async rename(actor: Actor, id: string, name: string | null): Promise<AuthenticatorView> {
    return this.ctx.store.transaction(async (trx) => {
      const row = await this.load(trx, id);
      await authenticatorsRepo.rename(trx, id, name, this.ctx.clock.now());
      await this.ctx.audit.append(trx, actor, {
        action: 'authenticator.renamed',
        subject: auditSubject(row),
        details: { authenticatorId: id, type: row.type, from: row.name, to: name },
      });
      return this.view(trx, await this.load(trx, id));
    });
  }

  /** Spends one of the person's recovery codes; true once per code, false otherwise (audited). */
  redeemRecoveryCode(userId: string, code: string, actor: Actor): Promise<boolean> {
    return redeemOneTimeCode(this.ctx, 'recovery_codes', userId, code, actor);
  }

  /** Spends the person's access pass, which is then revoked; true once, false otherwise (audited). */
  redeemAccessPass(userId: string, code: string, actor: Actor): Promise<boolean> {
    return redeemOneTimeCode(this.ctx, 'access_pass', userId, code, actor);
  }

  private transition(
    actor: Actor,
    id: string,
    action: LifecycleAction,
    reason: string | null,
  ): Promise<AuthenticatorView> {
    return this.ctx.store.transaction(async (trx) => {
      await changeState(this.ctx, trx, actor, await this.load(trx, id), action, reason);
      return this.view(trx, await this.load(trx, id));
    });
  }

  private async load(db: Db, id: string): Promise<AuthenticatorRow> {
    const row = await authenticatorsRepo.byId(db, id);
    if (!row) throw new AppError('NOT_FOUND', `no authenticator with id ${id}`);
    return row;
  }

  private async view(db: Db, row: AuthenticatorRow): Promise<AuthenticatorView> {
    return (await this.views(db, [row]))[0]!;
  }

  private async views(db: Db, rows: AuthenticatorRow[]): Promise<AuthenticatorView[]> {
    const sets = rows.filter((r) => r.type === 'recovery_codes').map((r) => r.id);
    const remaining = await oneTimeCodesRepo.unusedCounts(db, sets);
    const passkeys = rows.filter((r) => r.type === 'webauthn').map((r) => r.id);
    const credentials = new Map(
      (await webauthnCredentialsRepo.byAuthenticatorIds(db, passkeys)).map((c) => [c.authenticator_id, c]),
    );
    return rows.map((r) => toAuthenticatorView(r, remaining.get(r.id), credentials.get(r.id)));
  }
}
