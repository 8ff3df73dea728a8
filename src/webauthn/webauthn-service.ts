import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import type { Actor } from '../audit/audit-log.js';
import { passkeyStrength } from '../authenticators/types/webauthn.js';
import type { Context } from '../context.js';
import { webauthnCredentialsRepo } from '../store/repos/webauthn.js';
import { type AuthenticationInput, finishAuthentication } from './authentication.js';
import { CHALLENGE_TTL_MS, issueChallenge } from './challenges.js';
import { finishRegistration, type RegistrationInput, userHandleOf } from './registration.js';
import { type RelyingParty, relyingPartyOf } from './relying-party.js';

/** Options for the browser plus the id of the challenge the page posts back. */
export interface CeremonyStart<T> {
  challengeId: string;
  options: T;
}

/**
 * Passkeys: the options each ceremony starts with (a fresh single-use challenge bound to the
 * sign-in or account session asking) and the verification that ends it. The relying party is
 * PUBLIC_URL's host name and origin.
 */
export class WebAuthnService {
  readonly rp: RelyingParty;
  /** False when PUBLIC_URL names an IP address, where browsers refuse WebAuthn. */
  readonly available: boolean;

  constructor(private readonly ctx: Context) {
    const { usable, ...rp } = relyingPartyOf(ctx.config.publicUrl, ctx.config.orgName);
    this.rp = rp;
    this.available = usable;
  }

  /** Starts registering a passkey for a person (their existing credentials are excluded). */
  async registrationOptions(
    binding: string,
    person: { id: string; username: string; displayName?: string | null },
  ): Promise<CeremonyStart<PublicKeyCredentialCreationOptionsJSON>> {
    const db = this.ctx.store.db;
    const now = this.ctx.clock.now();
    const issued = await issueChallenge(db, { purpose: 'register', binding, userId: person.id, now });
    const existing = await webauthnCredentialsRepo.idsForUser(db, person.id);
    const options = await generateRegistrationOptions({
      rpName: this.rp.name,
      rpID: this.rp.id,
      userName: person.username,
      userDisplayName: person.displayName ?? person.username,
      userID: Buffer.from(userHandleOf(this.ctx, person.id), 'base64url'),
      challenge: Buffer.from(issued.challenge, 'base64url'),
      timeout: CHALLENGE_TTL_MS,
      attestationType: 'none',
      excludeCredentials: existing.map((id) => ({ id })),
      // Discoverable when the authenticator can (passkey-first sign-in needs it); UV recorded.
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
      supportedAlgorithmIDs: [-7, -8, -257],
    });
    return { challengeId: issued.id, options };
  }

  /**
   * Starts a passkey sign-in: for a known person (second factor, re-verification) their
   * credentials are allowed; without one, the browser offers any discoverable passkey.
   */
  async authenticationOptions(
    binding: string,
    opts: {
      userId: string | null;
      userVerification: 'required' | 'preferred';
      /** Allow only device-bound (not backup-eligible) credentials: AAL3 needs one. */
      deviceBoundOnly?: boolean;
    },
  ): Promise<CeremonyStart<PublicKeyCredentialRequestOptionsJSON>> {
    const db = this.ctx.store.db;
    const now = this.ctx.clock.now();
    const issued = await issueChallenge(db, {
      purpose: 'authenticate',
      binding,
      userId: opts.userId,
      now,
    });
    const usable = opts.userId ? await webauthnCredentialsRepo.usableForUser(db, opts.userId) : [];
    const allow = opts.deviceBoundOnly ? usable.filter((c) => c.backup_eligible === 0) : usable;
    const options = await generateAuthenticationOptions({
      rpID: this.rp.id,
      challenge: Buffer.from(issued.challenge, 'base64url'),
      timeout: CHALLENGE_TTL_MS,
      userVerification: opts.userVerification,
      allowCredentials: allow.map((c) => ({
        id: c.credential_id,
        transports: JSON.parse(c.transports) as never,
      })),
    });
    return { challengeId: issued.id, options };
  }

  /** Ends a registration (see finishRegistration). */
  register(actor: Actor, input: RegistrationInput) {
    return finishRegistration(this.ctx, this.rp, actor, input);
  }

  /** Ends an authentication (see finishAuthentication). */
  authenticate(actor: Actor, input: AuthenticationInput) {
    return finishAuthentication(this.ctx, this.rp, actor, input);
  }

  /**
   * The highest level a person's usable passkeys reach next to a password (3 for a device-bound
   * one, 2 when all are synced); 0 when they have none.
   */
  async bestLevel(userId: string): Promise<0 | 2 | 3> {
    const creds = await webauthnCredentialsRepo.usableForUser(this.ctx.store.db, userId);
    let best: 0 | 2 | 3 = 0;
    for (const c of creds) {
      const s = passkeyStrength({ backupEligible: c.backup_eligible === 1, userVerified: false });
      if (s.maxAal > best) best = s.maxAal;
    }
    return best;
  }
}
