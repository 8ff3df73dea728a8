import type { Actor } from '../audit/audit-log.js';
import type { AuditService } from '../audit/audit-service.js';
import type { AuthenticatorService } from '../authenticators/authenticator-service.js';
import type { AuthenticatorView } from '../authenticators/authenticator-view.js';
import { auditSubject, changeState } from '../authenticators/change-state.js';
import { listTypes } from '../authenticators/registry.js';
import type { Context } from '../context.js';
import type { MailService } from '../notify/mail-service.js';
import { AppError } from '../shared/errors.js';
import type { Aal } from '../sso/acr-amr.js';
import type { SsoSession } from '../sso/session-reader.js';
import type { Db } from '../store/open-store.js';
import { authenticatorsRepo } from '../store/repos/authenticators.js';
import { usersRepo } from '../store/repos/users.js';
import type { UserRow } from '../store/schema.js';
import type { ValidationService } from '../verification/validation-service.js';
import type { WebAuthnService } from '../webauthn/webauthn-service.js';
import { queueFactorChangeMail } from './factor-change-mail.js';
import { isFresh } from './freshness.js';
import { recentSignIns, type SignInRecord } from './sign-in-history.js';

export type { SignInRecord } from './sign-in-history.js';

/** oidc-provider times sessions with the system clock (as interaction-policy.ts does); so do we. */
const epochNow = () => Math.floor(Date.now() / 1000);

const describe = (type: string) => listTypes().find((t) => t.kind === type)?.describe;

/**
 * The self-service portal's operations on one's own factors. Every change needs a fresh
 * sign-in at the level of the person's strongest factor (REAUTH_REQUIRED otherwise), is
 * audited, and queues a notification mail in the same transaction where the change is ours.
 */
export class AccountService {
  constructor(
    private readonly ctx: Context,
    private readonly deps: {
      authenticators: AuthenticatorService;
      validation: ValidationService;
      webauthn: WebAuthnService;
      mail: MailService;
      audit: AuditService;
    },
  ) {}

  /** The person behind a session, if still active. */
  async person(session: SsoSession): Promise<UserRow | undefined> {
    const user = await usersRepo.byId(this.ctx.store.db, session.accountId);
    return user?.status === 'active' ? user : undefined;
  }

  /** The person's factors that still exist (not revoked), oldest first. */
  async factors(userId: string): Promise<AuthenticatorView[]> {
    return (await this.deps.authenticators.list(userId)).filter((a) => a.state !== 'revoked');
  }

  /** The person's recent completed sign-ins, newest first (see sign-in-history.ts). */
  recentSignIns(userId: string, limit = 10): Promise<SignInRecord[]> {
    return recentSignIns(this.deps.audit, userId, limit);
  }

  /** The level a change needs: that of the strongest factor the person holds (at least AAL2). */
  async requiredAal(userId: string): Promise<Aal> {
    const live = (await this.factors(userId)).filter(
      (a) => a.state === 'active' && describe(a.type)?.recoveryOnly === false,
    );
    if (!live.some((a) => a.type === 'webauthn')) return 2;
    return Math.max(2, await this.deps.webauthn.bestLevel(userId)) as Aal;
  }

  /** Whether the session may change factors now. */
  async fresh(session: SsoSession): Promise<boolean> {
    return isFresh(session, await this.requiredAal(session.accountId), epochNow());
  }

  /** Starts adding an authenticator app: a pending TOTP whose QR and key are shown once. */
  async startTotp(actor: Actor, session: SsoSession) {
    await this.assertFresh(session);
    const issued = await this.deps.authenticators.issue(actor, session.accountId, {
      type: 'totp',
      name: 'Authenticator app',
    });
    return { id: issued.id, qrCode: String(issued.qrCode), secret: String(issued.secret) };
  }

  /** Confirms a new authenticator app with its first code (it becomes active); false for a wrong code. */
  async confirmTotp(
    actor: Actor,
    session: SsoSession,
    authenticatorId: string,
    code: string,
  ): Promise<boolean> {
    await this.assertFresh(session);
    const own = await this.own(session.accountId, authenticatorId);
    if (own.type !== 'totp' || own.state !== 'pending')
      throw new AppError('INVALID_STATE', 'nothing to confirm');
    const r = await this.deps.validation.verifyForSignIn(actor, session.accountId, code, {
      onlyAuthenticatorId: authenticatorId,
    });
    if (r.result !== 'accept') return false;
    await this.ctx.store.transaction((trx) => this.added(trx, actor, session.accountId, own));
    return true;
  }

  /** Registers a passkey from the browser's answer (its audit and mail in the same transaction). */
  async addPasskey(actor: Actor, session: SsoSession, body: Record<string, string>): Promise<boolean> {
    await this.assertFresh(session);
    const r = await this.deps.webauthn.register(actor, {
      userId: session.accountId,
      binding: accountBinding(session),
      challengeId: body.challengeId ?? '',
      response: body.response,
      name: (body.name ?? '').trim().slice(0, 64) || 'Passkey',
      alsoInTransaction: async (trx, id) => {
        const row = await authenticatorsRepo.byId(trx, id);
        if (row) await this.added(trx, actor, session.accountId, { type: row.type, name: row.name, id });
      },
    });
    return r.ok;
  }

  /** The registration options for adding a passkey from /account. */
  async passkeyOptions(session: SsoSession) {
    await this.assertFresh(session);
    const person = await this.person(session);
    if (!person) throw new AppError('NOT_FOUND', 'no such person');
    return this.deps.webauthn.registrationOptions(accountBinding(session), {
      id: person.id,
      username: person.username,
      displayName: person.display_name,
    });
  }

  /** Renames one of one's own factors (audited by the authenticator service). */
  async rename(actor: Actor, session: SsoSession, id: string, name: string): Promise<void> {
    await this.assertFresh(session);
    await this.own(session.accountId, id);
    const clean = name.trim().slice(0, 64);
    await this.deps.authenticators.rename(actor, id, clean === '' ? null : clean);
  }

  /** Removes one of one's own factors, never the last one that signs in; audited and mailed. */
  async remove(actor: Actor, session: SsoSession, id: string): Promise<void> {
    await this.assertFresh(session);
    const target = await this.own(session.accountId, id);
    const signsIn = (a: AuthenticatorView) =>
      a.state === 'active' && describe(a.type)?.recoveryOnly === false;
    const others = (await this.factors(session.accountId)).filter((a) => a.id !== id && signsIn(a));
    if (signsIn(target) && others.length === 0) {
      throw new AppError('INVALID_STATE', 'this is your last way to sign in; add another one first');
    }
    await this.ctx.store.transaction(async (trx) => {
      const row = await authenticatorsRepo.byId(trx, id);
      if (!row) throw new AppError('NOT_FOUND', 'no such factor');
      await changeState(this.ctx, trx, actor, row, 'revoke', 'removed by its owner');
      await this.ctx.audit.append(trx, actor, {
        action: 'account.factor_removed',
        subject: auditSubject(row),
        details: { authenticatorId: id, type: row.type },
      });
      await this.notify(trx, session.accountId, 'removed', row.type, row.name);
    });
  }

  /** A new set of recovery codes (the old set dies); the codes are in this answer only. */
  async regenerateRecoveryCodes(actor: Actor, session: SsoSession): Promise<string[]> {
    await this.assertFresh(session);
    const issued = await this.deps.authenticators.issue(actor, session.accountId, { type: 'recovery_codes' });
    await this.ctx.store.transaction((trx) =>
      this.added(trx, actor, session.accountId, { id: issued.id, type: 'recovery_codes', name: null }),
    );
    return (issued.codes as string[]) ?? [];
  }

  private async assertFresh(session: SsoSession): Promise<void> {
    if (!(await this.person(session))) throw new AppError('UNAUTHENTICATED', 'not signed in');
    if (!(await this.fresh(session))) {
      throw new AppError('REAUTH_REQUIRED', 'confirm it is you before changing your sign-in factors');
    }
  }

  private async own(userId: string, id: string): Promise<AuthenticatorView> {
    const found = (await this.factors(userId)).find((a) => a.id === id);
    if (!found) throw new AppError('NOT_FOUND', 'no such factor on your account');
    return found;
  }

  private async added(
    trx: Db,
    actor: Actor,
    userId: string,
    factor: { id: string; type: string; name: string | null },
  ): Promise<void> {
    await this.ctx.audit.append(trx, actor, {
      action: 'account.factor_added',
      subject: userId,
      details: { authenticatorId: factor.id, type: factor.type },
    });
    await this.notify(trx, userId, 'added', factor.type, factor.name);
  }

  private notify(trx: Db, userId: string, what: 'added' | 'removed', type: string, name: string | null) {
    return queueFactorChangeMail(this.ctx, this.deps.mail, trx, { userId, what, type, name });
  }
}

/** Challenges made for /account are bound to the SSO session that asked for them. */
export function accountBinding(session: SsoSession): string {
  return `account:${session.uid}`;
}
