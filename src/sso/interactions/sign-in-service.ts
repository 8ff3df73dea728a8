import type { Actor } from '../../audit/audit-log.js';
import type { AuthenticatorService } from '../../authenticators/authenticator-service.js';
import type { TypeDescription } from '../../authenticators/authenticator-type.js';
import { listTypes } from '../../authenticators/registry.js';
import type { Context } from '../../context.js';
import { openEnrolmentDeadline } from '../../lifecycle/mark-met.js';
import { verifyPassword } from '../../crypto/passwords.js';
import { isAppError } from '../../shared/errors.js';
import type { Db } from '../../store/open-store.js';
import { usersRepo } from '../../store/repos/users.js';
import type { UserRow } from '../../store/schema.js';
import { retryAfterSeconds } from '../../verification/backoff.js';
import { failureCounter } from '../../verification/failure-counter.js';
import type { ValidationService } from '../../verification/validation-service.js';
import type { WebAuthnService } from '../../webauthn/webauthn-service.js';
import type { PolicyService } from '../../policy/policy-service.js';
import { enforcedAal } from '../../policy/what-if.js';
import { countsUnder, enrolableUnder } from './policy-methods.js';
import type { Aal, Assurance, UsedFactor } from '../acr-amr.js';
import { dummyPasswordHash } from './dummy-hash.js';
import { availableMethods, usedAuthenticator } from './methods.js';
import { PasskeySignIn } from './passkey-sign-in.js';
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
  /** The passkey steps (passkey-first, passkey as second factor, passkey enrolment). */
  readonly passkeys: PasskeySignIn;

  private readonly recoveryHooks: Array<(actor: Actor, userId: string) => Promise<unknown>> = [];

  constructor(
    private readonly ctx: Context,
    private readonly validation: ValidationService,
    private readonly authenticators: AuthenticatorService,
    private readonly webauthn: WebAuthnService,
    private readonly policy: PolicyService,
  ) {
    this.passkeys = new PasskeySignIn(ctx, webauthn, async (userId, clientId, actor) => {
      const user = await usersRepo.byId(ctx.store.db, userId);
      return user?.status === 'active' ? this.personFacts(user, { clientId, actor }) : undefined;
    });
  }

  /** Checks a username and password; unknown, inactive and password-less people get the same answer in the same time. */
  async checkPassword(actor: Actor, username: string, password: string): Promise<CheckResult<UserRow>> {
    const now = this.ctx.clock.now();
    // Input no username can be (too long, a NUL byte) is an unknown person, not a query. Read
    // off the writer (committed data): a failure is counted in its own write below.
    const user =
      username.length <= MAX_INPUT && !username.includes('\0')
        ? await usersRepo.byUsername(this.ctx.store.reader, username)
        : undefined;
    if (user && failureCounter.isLocked(user.locked_until, now)) {
      return { ok: false, throttledFor: retryAfterSeconds(user.locked_until!, now) };
    }
    const real = user?.status === 'active' && user.password_hash ? user.password_hash : undefined;
    const hash = real ?? (await dummyPasswordHash());
    const right =
      password.length <= MAX_INPUT && (await verifyPassword(hash, password)) && real !== undefined;
    if (right && user) return { ok: true, value: user };
    await this.ctx.store.groupCommit(async (trx) => {
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

  /**
   * What the flow needs to know of a person: their usable methods and enrolment deadline, as
   * the policy for this client has them (the level, which types count, the grace period). With
   * `actor` it is a real decision (exceptions applied are audited as used).
   */
  async personFacts(
    user: UserRow,
    opts: { clientId?: string | null; actor?: Actor } = {},
  ): Promise<PersonFacts> {
    const now = this.ctx.clock.now();
    const { requirement: req } = await this.policy.requirementFor(user.id, opts.clientId ?? null, opts.actor);
    const views = (await this.authenticators.list(user.id)).filter((v) => countsUnder(req, v.type));
    const methods = availableMethods(views, describeType, now);
    const passkey = methods.find((m) => m.method === 'passkey');
    // Passkeys are worth what their best credential is: synced ones reach AAL2, device-bound AAL3.
    if (passkey) passkey.aal = Math.max(2, await this.webauthn.bestLevel(user.id)) as 2 | 3;
    return {
      id: user.id,
      username: user.username,
      methods,
      // An open enrolment requirement's deadline, when there is one (lifecycle rules set it).
      enrolmentDeadline:
        (await openEnrolmentDeadline(this.ctx.store.reader, user.id)) ??
        user.created_at + req.graceDays * DAY_MS,
      now,
      // A TOTP enrolled here reaches AAL2; a device-bound passkey AAL3 (where passkeys can be offered).
      enrolableAal: enrolableUnder(req, this.webauthn.available),
      policyAal: enforcedAal(req, 1),
      countingTypes: listTypes()
        .map((t) => t.kind)
        .filter((t) => countsUnder(req, t)),
    };
  }

  /** The level a person's policy requires for a client (an existing session below it must sign in again). */
  readonly policyAal = async (userId: string, clientId: string): Promise<Aal> => {
    return enforcedAal((await this.policy.requirementFor(userId, clientId)).requirement, 1);
  };

  /** Checks an OTP through the one validation service; the factor it proves, when right. */
  async checkCode(
    actor: Actor,
    userId: string,
    code: string,
    opts: { onlyAuthenticatorId?: string; countingTypes?: readonly string[] } = {},
  ): Promise<CheckResult<UsedFactor>> {
    const r = await this.validation.verifyForSignIn(actor, userId, code, opts);
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

  /** Registers what runs when a recovery ends in a verified new factor (the composition root wires recovery). */
  onRecoveryEnrolled(hook: (actor: Actor, userId: string) => Promise<unknown>): void {
    this.recoveryHooks.push(hook);
  }

  /** A person verified a factor enrolled after spending a pass or recovery code. */
  async recoveryEnrolled(actor: Actor, userId: string): Promise<void> {
    for (const hook of this.recoveryHooks) await hook(actor, userId);
  }

  /** Records a consent given on the consent page (a third-party client's grant). */
  async recordConsent(
    actor: Actor,
    userId: string | null,
    clientId: string,
    scopes: string[],
  ): Promise<void> {
    await this.ctx.store.groupCommit((trx) =>
      this.ctx.audit.append(trx, actor, {
        action: 'sso.consent_granted',
        subject: userId,
        details: { client: clientId, scopes },
      }),
    );
  }

  /**
   * Records a completed sign-in: the person, the level reached, how, and for which client;
   * `alsoIn` writes in the same transaction (the sign-in state it ends).
   */
  async recordSignedIn(
    actor: Actor,
    userId: string,
    assurance: Assurance,
    clientId: string,
    alsoIn?: (trx: Db) => Promise<void>,
  ): Promise<void> {
    await this.ctx.store.groupCommit(async (trx) => {
      await this.ctx.audit.append(trx, actor, {
        action: 'sso.signed_in',
        subject: userId,
        details: { acr: assurance.acr, amr: assurance.amr, client: clientId },
      });
      await alsoIn?.(trx);
    });
  }

  /** Records a sign-in that ended without access (refused, unmet level, cancelled). */
  async recordFailed(
    actor: Actor,
    userId: string | null,
    reason: string,
    details: Record<string, unknown> = {},
  ) {
    await this.ctx.store.groupCommit((trx) =>
      this.ctx.audit.append(trx, actor, {
        action: 'sso.sign_in_failed',
        subject: userId,
        outcome: 'failure',
        details: { reason, ...details },
      }),
    );
  }
}
