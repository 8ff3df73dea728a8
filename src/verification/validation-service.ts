import type { Actor } from '../audit/audit-log.js';
import { getType, listTypes } from '../authenticators/registry.js';
import type { Context } from '../context.js';
import { markMetIfSatisfied } from '../lifecycle/mark-met.js';
import type { PolicyService } from '../policy/policy-service.js';
import type { Db } from '../store/open-store.js';
import { authenticatorsRepo, type GateAndVerifiable } from '../store/repos/authenticators.js';
import { usersRepo } from '../store/repos/users.js';
import type { AuthenticatorRow } from '../store/schema.js';
import { retryAfterSeconds } from './backoff.js';
import { failureCounter } from './failure-counter.js';

export type ValidationResult =
  | { result: 'accept'; authenticatorId: string; type: AuthenticatorRow['type'] }
  | { result: 'reject' }
  | { result: 'throttled'; retryAfterSeconds: number };

interface Candidate {
  row: AuthenticatorRow;
  counter: number;
}

/** The kinds whose codes the validation API may accept (OTP), from the types' own descriptions. */
const VALIDATABLE = listTypes()
  .filter((t) => t.describe.validatable)
  .map((t) => t.kind);

/**
 * The one validation service: "is this code right for this person?" for every system that asks
 * (VPN, PAM, legacy apps, and the sign-in flow). Reads and OTP maths happen outside the write;
 * the decision is one compare-and-set in the database, shared with other requests through group
 * commit, so a code is accepted at most once across every instance and the answer is sent only
 * after it is durable.
 */
export class ValidationService {
  constructor(
    private readonly ctx: Context,
    /** Which types count for a person (their policy); without it every OTP type does. */
    private readonly policy?: Pick<PolicyService, 'requirementFor'>,
  ) {}

  /** Checks `code` for `username`. Unknown, disabled and factor-less people get the same reject. */
  async validate(actor: Actor, username: string, code: string): Promise<ValidationResult> {
    const found = await authenticatorsRepo.verifiableOf(this.ctx.store.reader, { username }, VALIDATABLE);
    return this.check(actor, found, code, { username });
  }

  /**
   * The sign-in flow's second-factor check, for a person the password step identified: the same
   * throttle, replay rule, failure counter and audit as `validate`. With `onlyAuthenticatorId`
   * (confirming a new enrolment) only that authenticator's codes count; with `countingTypes`
   * (the types the sign-in's own policy decision counts) the policy is not evaluated again.
   */
  async verifyForSignIn(
    actor: Actor,
    userId: string,
    code: string,
    opts: { onlyAuthenticatorId?: string; countingTypes?: readonly string[] } = {},
  ): Promise<ValidationResult> {
    const found = await authenticatorsRepo.verifiableOf(this.ctx.store.reader, { userId }, VALIDATABLE);
    return this.check(actor, found, code, { userId }, opts.onlyAuthenticatorId, opts.countingTypes);
  }

  private async check(
    actor: Actor,
    found: GateAndVerifiable | undefined,
    code: string,
    who: Record<string, string>,
    onlyAuthenticatorId?: string,
    countingTypes?: readonly string[],
  ): Promise<ValidationResult> {
    const { store, clock } = this.ctx;
    const now = clock.now();
    // A throttled request is refused before any write: an attacker's flood costs one read each.
    const lockedUntil = found?.gate.locked_until ?? null;
    if (failureCounter.isLocked(lockedUntil, now)) {
      return { result: 'throttled', retryAfterSeconds: retryAfterSeconds(lockedUntil!, now) };
    }
    if (found?.gate.status !== 'active') {
      await store.groupCommit((trx) =>
        this.audit(trx, actor, 'validation.rejected', null, { ...who, reason: 'unknown_or_inactive' }),
      );
      return { result: 'reject' };
    }
    const { gate, authenticators } = found;
    const types = await this.countingTypes(gate.id, actor, countingTypes);
    const candidates = await this.matchingAuthenticators(
      authenticators,
      code,
      now,
      types,
      onlyAuthenticatorId,
    );
    return store.groupCommit((trx) => this.decide(trx, actor, gate.id, candidates, now));
  }

  /**
   * The OTP types that count for this person under their policy: `decided` when the caller has
   * the decision already (a sign-in, for its client), else asked of the policy evaluator.
   */
  private async countingTypes(
    userId: string,
    actor: Actor,
    decided?: readonly string[],
  ): Promise<AuthenticatorRow['type'][]> {
    const allowed: readonly string[] =
      decided ??
      (this.policy
        ? (await this.policy.requirementFor(userId, null, actor)).requirement.allowedTypes
        : VALIDATABLE);
    return VALIDATABLE.filter((t) => allowed.includes(t));
  }

  /**
   * Those of the person's verifiable authenticators (read with their gate) of `types` for which
   * `code` is right now (pure checks, no writes).
   */
  private async matchingAuthenticators(
    rows: readonly AuthenticatorRow[],
    code: string,
    now: number,
    types: readonly AuthenticatorRow['type'][],
    onlyId?: string,
  ): Promise<Candidate[]> {
    const out: Candidate[] = [];
    for (const row of rows) {
      if (!types.includes(row.type)) continue;
      if (onlyId !== undefined && row.id !== onlyId) continue;
      const type = getType(row.type);
      if (!type.check || !row.secret_enc) continue;
      try {
        const secret = await this.ctx.keyring.decrypt(row.secret_enc, `authenticator:${row.id}`);
        const r = type.check(row, secret, code, now);
        secret.fill(0);
        if (r.ok) out.push({ row, counter: r.counter });
      } catch (err) {
        // One unreadable authenticator (wrong key, damaged row) must not fail the person's others.
        this.ctx.logger.error(
          { authenticatorId: row.id, err: (err as Error).message },
          'authenticator cannot be checked',
        );
      }
    }
    return out;
  }

  /** The write: re-check the lock, claim the code (compare-and-set) or count the failure. */
  private async decide(
    trx: Db,
    actor: Actor,
    userId: string,
    candidates: Candidate[],
    now: number,
  ): Promise<ValidationResult> {
    const { store, config } = this.ctx;
    const state = await usersRepo.throttleForUpdate(trx, userId, store.caps.rowLocks);
    if (state?.status !== 'active') {
      await this.audit(trx, actor, 'validation.rejected', userId, { reason: 'unknown_or_inactive' });
      return { result: 'reject' };
    }
    // Requests of one burst all passed the read-time check; the lock is decided here, in order.
    if (failureCounter.isLocked(state.locked_until, now)) {
      return { result: 'throttled', retryAfterSeconds: retryAfterSeconds(state.locked_until!, now) };
    }
    for (const c of candidates) {
      if (await authenticatorsRepo.advanceCounter(trx, c.row.id, c.counter, now)) {
        await failureCounter.succeed(trx, userId, state);
        await this.audit(trx, actor, 'validation.accepted', userId, {
          authenticatorId: c.row.id,
          type: c.row.type,
          activated: c.row.state === 'pending',
        });
        // A first use activates the factor: the enrolment requirements it meets are met now.
        if (c.row.state === 'pending') await markMetIfSatisfied(trx, this.ctx, userId);
        return { result: 'accept', authenticatorId: c.row.id, type: c.row.type };
      }
    }
    const { failures, lockedUntil } = await failureCounter.fail(
      trx,
      userId,
      now,
      config.throttleFreeFailures,
    );
    await this.audit(trx, actor, 'validation.rejected', userId, {
      reason: candidates.length > 0 ? 'replayed' : 'wrong_code',
      failures,
      lockedUntil: lockedUntil === null ? null : new Date(lockedUntil).toISOString(),
    });
    return { result: 'reject' };
  }

  private audit(
    trx: Db,
    actor: Actor,
    action: string,
    subject: string | null,
    details: Record<string, unknown>,
  ) {
    const outcome = action.endsWith('accepted') ? 'success' : 'failure';
    return this.ctx.audit.append(trx, actor, { action, subject, outcome, details });
  }
}
