import type { Actor } from '../audit/audit-log.js';
import type { AuthenticatorService } from '../authenticators/authenticator-service.js';
import type { Context } from '../context.js';
import { lookupHash } from '../crypto/one-time-hash.js';
import { holdsSecondFactor } from '../lifecycle/factor-fit.js';
import { isAppError } from '../shared/errors.js';
import { authenticatorsRepo } from '../store/repos/authenticators.js';
import { enrolmentInvitationsRepo } from '../store/repos/enrolment-invitations.js';
import { enrolmentRequirementsRepo } from '../store/repos/enrolment-requirements.js';
import { usersRepo } from '../store/repos/users.js';
import type { Db } from '../store/open-store.js';
import type { EnrolmentInvitationRow, EnrolmentRequirementRow, UserRow } from '../store/schema.js';
import type { ValidationService } from '../verification/validation-service.js';
import type { CeremonyStart, WebAuthnService } from '../webauthn/webauthn-service.js';
import { isTokenShaped } from './invitation-token.js';

/** Why a link cannot be used (each is its own page: 404 for unknown, 410 for the rest, 409 has_factor). */
export type LinkRefusal = 'unknown' | 'used' | 'expired' | 'done' | 'has_factor';

/** A link that may be used now: whose it is and what it is for. */
export interface UsableLink {
  invitation: EnrolmentInvitationRow;
  person: UserRow;
  requirement: EnrolmentRequirementRow;
}

export type LinkCheck = { ok: true; link: UsableLink } | { ok: false; why: LinkRefusal };

/** The outcome of confirming the new TOTP with its first code. */
export type ConfirmOutcome =
  /** `recoveryCodes` null: the person's policy allows none (decided before the link was used up). */
  | { kind: 'enrolled'; recoveryCodes: string[] | null }
  | { kind: 'wrong_code' }
  | { kind: 'throttled'; retryAfterSeconds: number }
  | { kind: 'not_started' }
  | { kind: 'refused'; why: LinkRefusal };

/** The outcome of registering a passkey from the link. */
export type PasskeyOutcome =
  | { kind: 'enrolled'; recoveryCodes: string[] | null }
  | { kind: 'passkey_failed' }
  | { kind: 'refused'; why: LinkRefusal };

/** The link was used by another tab while a passkey was being stored: the passkey is not kept. */
class LinkUsedMeanwhile extends Error {}

/** Passkey challenges of a link are bound to it: no sign-in or other link can answer them. */
const bindingOf = (invitation: EnrolmentInvitationRow) => `enrolment-link:${invitation.id}`;

/**
 * Enrolment through an invitation link (`/enroll/{token}`): the link stands in for a password
 * for one thing only, binding a person's FIRST second factor, once, before the deadline. It is
 * found by the lookupHash of its token, refused once used, expired, no longer needed (the
 * requirement met or cancelled, the person gone) or when the person already holds a factor
 * (binding a second one needs that one: SECURITY.md). The TOTP issued through it is confirmed
 * by its first code through the one validation service (failure counter, replay rule), which
 * also marks the requirement met; the link is used up by a conditional UPDATE; recovery codes
 * follow, shown once.
 *
 * Passkeys plug in through `check` and `complete`: a passkey ceremony started from the link
 * page checks the link, registers the credential, then calls `complete` with its authenticator.
 */
export class InvitationService {
  constructor(
    private readonly ctx: Context,
    private readonly deps: {
      authenticators: AuthenticatorService;
      validation: ValidationService;
      webauthn?: WebAuthnService;
      /** Whether the person's policy allows recovery codes (absent: always). */
      recoveryCodesAllowed?: (userId: string) => Promise<boolean>;
    },
  ) {}

  /** Whether codes follow the enrolment: asked before the link is used up, so a refusal never strands it. */
  private async codesAllowed(userId: string): Promise<boolean> {
    return (await this.deps.recoveryCodesAllowed?.(userId)) ?? true;
  }

  /** The recovery codes shown once after the enrolment, or null when policy allows none. */
  private async codesFor(actor: Actor, userId: string, allowed: boolean): Promise<string[] | null> {
    if (!allowed) return null;
    const codes = await this.deps.authenticators.issue(actor, userId, { type: 'recovery_codes' });
    return codes.codes as string[];
  }

  /** Whether the link page can offer a passkey (PUBLIC_URL is a host name). */
  get passkeys(): boolean {
    return this.deps.webauthn?.available === true;
  }

  /** Whether the link may be used now, and by whom. */
  async check(token: string): Promise<LinkCheck> {
    const db = this.ctx.store.db;
    if (!isTokenShaped(token)) return { ok: false, why: 'unknown' };
    const invitation = await enrolmentInvitationsRepo.byTokenHash(db, lookupHash(token));
    if (!invitation) return { ok: false, why: 'unknown' };
    if (invitation.used_at !== null) return { ok: false, why: 'used' };
    const person = await usersRepo.byId(db, invitation.user_id);
    const requirement = await enrolmentRequirementsRepo.byId(db, invitation.requirement_id);
    if (person?.status !== 'active' || !requirement) return { ok: false, why: 'done' };
    if (invitation.expires_at <= this.ctx.clock.now()) return { ok: false, why: 'expired' };
    if (requirement.met_at !== null || requirement.cancelled_at !== null) return { ok: false, why: 'done' };
    if (holdsSecondFactor(await authenticatorsRepo.forUser(db, person.id)))
      return { ok: false, why: 'has_factor' };
    return { ok: true, link: { invitation, person, requirement } };
  }

  /** Issues the TOTP to scan (pending until its first code); a restart revokes the one it replaces. */
  async startTotp(
    actor: Actor,
    token: string,
  ): Promise<{ ok: true; qrCode: string; secret: string } | { ok: false; why: LinkRefusal }> {
    const checked = await this.check(token);
    if (!checked.ok) return checked;
    const { invitation, person } = checked.link;
    if (invitation.authenticator_id)
      await this.abandon(actor, invitation.authenticator_id, 'enrolment restarted');
    const issued = await this.deps.authenticators.issue(actor, person.id, {
      type: 'totp',
      name: 'Authenticator app',
    });
    const attached = await this.ctx.store.transaction((trx) =>
      enrolmentInvitationsRepo.attachAuthenticator(trx, invitation.id, issued.id),
    );
    if (!attached) {
      // The link was used meanwhile (another tab finished): this secret must never work.
      await this.abandon(actor, issued.id, 'enrolment link already used');
      return { ok: false, why: 'used' };
    }
    return { ok: true, qrCode: String(issued.qrCode), secret: String(issued.secret) };
  }

  /** Confirms the new TOTP with its first code, uses the link up, and issues recovery codes. */
  async confirmTotp(actor: Actor, token: string, code: string): Promise<ConfirmOutcome> {
    const checked = await this.check(token);
    if (!checked.ok) return { kind: 'refused', why: checked.why };
    const { invitation, person } = checked.link;
    if (!invitation.authenticator_id) return { kind: 'not_started' };
    const r = await this.deps.validation.verifyForSignIn(actor, person.id, code, {
      onlyAuthenticatorId: invitation.authenticator_id,
    });
    if (r.result === 'throttled') return { kind: 'throttled', retryAfterSeconds: r.retryAfterSeconds };
    if (r.result === 'reject') return { kind: 'wrong_code' };
    const allowed = await this.codesAllowed(person.id);
    if (!(await this.complete(actor, token, r.authenticatorId))) return { kind: 'refused', why: 'used' };
    return { kind: 'enrolled', recoveryCodes: await this.codesFor(actor, person.id, allowed) };
  }

  /** The registration ceremony's options for the link's person, with a challenge bound to the link. */
  async passkeyOptions(
    token: string,
  ): Promise<{ ok: true; start: CeremonyStart<unknown> } | { ok: false; why: LinkRefusal }> {
    const checked = await this.check(token);
    if (!checked.ok) return checked;
    const { invitation, person } = checked.link;
    if (!this.deps.webauthn?.available) return { ok: false, why: 'unknown' };
    const start = await this.deps.webauthn.registrationOptions(bindingOf(invitation), {
      id: person.id,
      username: person.username,
      displayName: person.display_name,
    });
    return { ok: true, start };
  }

  /**
   * Registers the passkey the browser made and uses the link up in the same transaction (so a
   * passkey is kept only with the one use of the link); an app issued from the link before is
   * withdrawn; recovery codes follow, shown once.
   */
  async registerPasskey(
    actor: Actor,
    token: string,
    body: { challengeId?: unknown; response?: unknown },
  ): Promise<PasskeyOutcome> {
    const checked = await this.check(token);
    if (!checked.ok) return { kind: 'refused', why: checked.why };
    const { invitation, person } = checked.link;
    if (!this.deps.webauthn?.available) return { kind: 'refused', why: 'unknown' };
    const allowed = await this.codesAllowed(person.id);
    let registered: Awaited<ReturnType<WebAuthnService['register']>>;
    try {
      registered = await this.deps.webauthn.register(actor, {
        userId: person.id,
        binding: bindingOf(invitation),
        challengeId: typeof body.challengeId === 'string' ? body.challengeId : '',
        response: body.response,
        name: 'Passkey',
        alsoInTransaction: async (trx, authenticatorId) => {
          if (!(await this.useUp(trx, actor, invitation, authenticatorId))) throw new LinkUsedMeanwhile();
        },
      });
    } catch (err) {
      if (err instanceof LinkUsedMeanwhile) return { kind: 'refused', why: 'used' };
      throw err;
    }
    if (!registered.ok) return { kind: 'passkey_failed' };
    if (invitation.authenticator_id)
      await this.abandon(actor, invitation.authenticator_id, 'passkey enrolled instead');
    return { kind: 'enrolled', recoveryCodes: await this.codesFor(actor, person.id, allowed) };
  }

  /**
   * Uses the link up for an enrolment that completed with `authenticatorId`: true for exactly
   * one caller (a conditional UPDATE), with its audit event.
   */
  async complete(actor: Actor, token: string, authenticatorId: string): Promise<boolean> {
    const invitation = await enrolmentInvitationsRepo.byTokenHash(this.ctx.store.db, lookupHash(token));
    if (!invitation) return false;
    return this.ctx.store.transaction((trx) => this.useUp(trx, actor, invitation, authenticatorId));
  }

  /** The conditional UPDATE that uses a link up, and its audit event, inside the caller's transaction. */
  private async useUp(
    trx: Db,
    actor: Actor,
    invitation: EnrolmentInvitationRow,
    authenticatorId: string,
  ): Promise<boolean> {
    if (!(await enrolmentInvitationsRepo.consume(trx, invitation.id, this.ctx.clock.now()))) return false;
    await this.ctx.audit.append(trx, actor, {
      action: 'enrolment.invitation_used',
      subject: invitation.user_id,
      details: { invitationId: invitation.id, requirementId: invitation.requirement_id, authenticatorId },
    });
    return true;
  }

  private async abandon(actor: Actor, authenticatorId: string, reason: string): Promise<void> {
    try {
      await this.deps.authenticators.revoke(actor, authenticatorId, reason);
    } catch (err) {
      if (!isAppError(err, 'INVALID_STATE') && !isAppError(err, 'NOT_FOUND')) throw err;
    }
  }
}
