import type { Actor } from '../../audit/audit-log.js';
import type { AuthenticatorService } from '../../authenticators/authenticator-service.js';
import type { TypeDescription } from '../../authenticators/authenticator-type.js';
import { listTypes } from '../../authenticators/registry.js';
import type { Context } from '../../context.js';
import { verifyPassword } from '../../crypto/passwords.js';
import { isAppError } from '../../shared/errors.js';
import { usersRepo } from '../../store/repos/users.js';
import type { UserRow } from '../../store/schema.js';
import { retryAfterSeconds } from '../../verification/backoff.js';
import { failureCounter } from '../../verification/failure-counter.js';
import type { ValidationService } from '../../verification/validation-service.js';
import type { Assurance, UsedFactor } from '../acr-amr.js';
import { dummyPasswordHash } from './dummy-hash.js';
import { availableMethods, usedAuthenticator } from './methods.js';
import type { PersonFacts } from './sign-in-flow.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Longer input is no username or password of ours: refused without hashing it. */
const MAX_INPUT = 256;

/** A check's outcome as the pages need it. */
export type CheckResult<T> = { ok: true; value: T } | { ok: false; throttledFor?: number };

/** A type's own description, or undefined while the registry does not know the type. */
export function describeType(type: string): TypeDescription | undefined {
  return listTypes().find((t) => t.kind === type)?.describe;
}

/**
 * The credential checks behind the sign-in pages, with their audit events. Every failure counts
 * on the person's one failure counter (shared with the validation API); a right password does
 * not clear it (a right second factor does), so a known password cannot reset the throttle.
 */
export class SignInService {
  constructor(
    private readonly ctx: Context,
    private readonly validation: ValidationService,
    private readonly authenticators: AuthenticatorService,
  ) {}

  /** Checks a username and password; unknown, inactive and password-less people get the same answer in the same time. */
  async checkPassword(actor: Actor, username: string, password: string): Promise<CheckResult<UserRow>> {
    const now = this.ctx.clock.now();
    // Input no username can be (too long, a NUL byte) is an unknown person, not a query.
    const user =
      username.length <= MAX_INPUT && !username.includes('\0')
        ? await usersRepo.byUsername(this.ctx.store.db, username)
        : undefined;
    if (user && failureCounter.isLocked(user.locked_until, now)) {
      return { ok: false, throttledFor: retryAfterSeconds(user.locked_until!, now) };
    }
    const real = user?.status === 'active' && user.password_hash ? user.password_hash : undefined;
    const hash = real ?? (await dummyPasswordHash());
    const right =
      password.length <= MAX_INPUT && (await verifyPassword(hash, password)) && real !== undefined;
    if (right && user) return { ok: true, value: user };
    await this.ctx.store.transaction(async (trx) => {
      const counted = user
        ? await failureCounter.fail(trx, user.id, now, this.ctx.config.throttleFreeFailures)
        : null;
      await this.ctx.audit.append(trx, actor, {
        action: 'sso.sign_in_failed',
        subject: user?.id ?? null,
        outcome: 'failure',
        details: {
          reason: real ? 'wrong_password' : 'unknown_or_inactive',
          username: username.slice(0, MAX_INPUT),
          ...(counted ? { failures: counted.failures } : {}),
        },
      });
    });
    return { ok: false };
  }

  /** What the flow needs to know of a person: their usable methods and enrolment deadline. */
  async personFacts(user: UserRow): Promise<PersonFacts> {
    const now = this.ctx.clock.now();
    const views = await this.authenticators.list(user.id);
    return {
      id: user.id,
      username: user.username,
      methods: availableMethods(views, describeType, now),
      enrolmentDeadline: user.created_at + this.ctx.config.enrolmentGraceDays * DAY_MS,
      now,
      // The sign-in enrols a TOTP (AAL2); passkey enrolment will raise this to 3.
      enrolableAal: 2,
    };
  }

  /** Checks an OTP through the one validation service; the factor it proves, when right. */
  async checkCode(
    actor: Actor,
    userId: string,
    code: string,
    onlyAuthenticatorId?: string,
  ): Promise<CheckResult<UsedFactor>> {
    const r = await this.validation.verifyForSignIn(actor, userId, code, { onlyAuthenticatorId });
    if (r.result === 'throttled') return { ok: false, throttledFor: r.retryAfterSeconds };
    if (r.result === 'reject') return { ok: false };
    const d = describeType(r.type);
    return d ? { ok: true, value: usedAuthenticator(r.type, d) } : { ok: false };
  }

  /**
   * Spends an access pass or a recovery code through the authenticator service, which counts a
   * wrong one on the failure counter and audits every attempt.
   */
  async redeemRecovery(
    actor: Actor,
    userId: string,
    kind: 'access_pass' | 'recovery_codes',
    code: string,
  ): Promise<CheckResult<UsedFactor>> {
    let ok: boolean;
    try {
      ok =
        kind === 'access_pass'
          ? await this.authenticators.redeemAccessPass(userId, code, actor)
          : await this.authenticators.redeemRecoveryCode(userId, code, actor);
    } catch (err) {
      if (!isAppError(err, 'THROTTLED')) throw err;
      const user = await usersRepo.byId(this.ctx.store.db, userId);
      const now = this.ctx.clock.now();
      return { ok: false, throttledFor: retryAfterSeconds(user?.locked_until ?? now, now) };
    }
    const d = describeType(kind);
    return ok && d ? { ok: true, value: usedAuthenticator(kind, d) } : { ok: false };
  }

  /**
   * Issues a new TOTP for the person to scan (pending until its first code). A restarted
   * enrolment revokes the one it replaces, whose secret was shown and may not be confirmed.
   */
  async startTotpEnrolment(actor: Actor, userId: string, replacing: string | null) {
    if (replacing) await this.abandonEnrolment(actor, replacing, 'enrolment restarted');
    const issued = await this.authenticators.issue(actor, userId, {
      type: 'totp',
      name: 'Authenticator app',
    });
    return { id: issued.id, qrCode: String(issued.qrCode), secret: String(issued.secret) };
  }

  /** Revokes an authenticator issued for an enrolment that will not be confirmed (already gone: nothing to do). */
  async abandonEnrolment(actor: Actor, authenticatorId: string, reason: string): Promise<void> {
    try {
      await this.authenticators.revoke(actor, authenticatorId, reason);
    } catch (err) {
      if (!isAppError(err, 'INVALID_STATE') && !isAppError(err, 'NOT_FOUND')) throw err;
    }
  }

  /** Records a consent given on the consent page (a third-party client's grant). */
  async recordConsent(
    actor: Actor,
    userId: string | null,
    clientId: string,
    scopes: string[],
  ): Promise<void> {
    await this.ctx.store.transaction((trx) =>
      this.ctx.audit.append(trx, actor, {
        action: 'sso.consent_granted',
        subject: userId,
        details: { client: clientId, scopes },
      }),
    );
  }

  /** Records a completed sign-in: the person, the level reached, how, and for which client. */
  async recordSignedIn(actor: Actor, userId: string, assurance: Assurance, clientId: string): Promise<void> {
    await this.ctx.store.transaction((trx) =>
      this.ctx.audit.append(trx, actor, {
        action: 'sso.signed_in',
        subject: userId,
        details: { acr: assurance.acr, amr: assurance.amr, client: clientId },
      }),
    );
  }

  /** Records a sign-in that ended without access (refused, unmet level, cancelled). */
  async recordFailed(
    actor: Actor,
    userId: string | null,
    reason: string,
    details: Record<string, unknown> = {},
  ) {
    await this.ctx.store.transaction((trx) =>
      this.ctx.audit.append(trx, actor, {
        action: 'sso.sign_in_failed',
        subject: userId,
        outcome: 'failure',
        details: { reason, ...details },
      }),
    );
  }
}
