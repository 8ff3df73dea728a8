import type { Actor } from '../../audit/audit-log.js';
import type { Context } from '../../context.js';
import { usersRepo } from '../../store/repos/users.js';
import type { PasskeyStrength } from '../../authenticators/types/webauthn.js';
import type { WebAuthnService } from '../../webauthn/webauthn-service.js';
import type { UsedFactor } from '../acr-amr.js';
import type { PersonFacts, SignInState } from './sign-in-flow.js';
import type { CheckResult } from './sign-in-service.js';

/** What the sign-in learns from a passkey: whose it is, and the factor it proved. */
export interface PasskeyProof {
  userId: string;
  factor: UsedFactor;
}

/** A passkey as the assurance rules see it, classified per credential (device-bound or synced, UV). */
export function passkeyFactor(strength: PasskeyStrength): UsedFactor {
  return {
    kind: 'authenticator',
    type: 'webauthn',
    amr: strength.amr,
    maxAal: strength.maxAal,
    phishingResistant: true,
    recoveryOnly: false,
    multiFactor: strength.multiFactor,
  };
}

/** The challenges of a sign-in are bound to its interaction: no other sign-in can answer them. */
const bindingOf = (uid: string) => `interaction:${uid}`;

/**
 * The passkey steps of a sign-in: the ceremony options each step starts with, and their checks.
 * Passkey-first (no username) needs user verification, so the passkey alone is two factors; as
 * a second factor after the password, user verification is welcome but not needed.
 */
export class PasskeySignIn {
  constructor(
    private readonly ctx: Context,
    private readonly webauthn: WebAuthnService,
    private readonly facts: (
      userId: string,
      clientId: string | null,
      actor: Actor,
    ) => Promise<PersonFacts | undefined>,
  ) {}

  /** Whether passkeys can be offered at all (PUBLIC_URL is a host name). */
  get available(): boolean {
    return this.webauthn.available;
  }

  /** The options for the ceremony the sign-in's current step can run; undefined when none. */
  async options(uid: string, state: SignInState) {
    if (!this.available) return undefined;
    const binding = bindingOf(uid);
    const step = state.step;
    if (step.name === 'password') {
      return this.webauthn.authenticationOptions(binding, { userId: null, userVerification: 'required' });
    }
    if (!state.person) return undefined;
    if (step.name === 'second_factor' && step.methods.includes('passkey')) {
      return this.webauthn.authenticationOptions(binding, {
        userId: state.person.id,
        userVerification: 'preferred',
        // Only device-bound passkeys reach AAL3: a synced one is not even offered then.
        deviceBoundOnly: state.requiredAal >= 3,
      });
    }
    if (step.name === 'enrol') {
      const person = await usersRepo.byId(this.ctx.store.db, state.person.id);
      if (!person) return undefined;
      return this.webauthn.registrationOptions(binding, {
        id: person.id,
        username: person.username,
        displayName: person.display_name,
      });
    }
    return undefined;
  }

  /** Passkey-first: who the discoverable passkey belongs to, and what the flow needs of them. */
  async first(
    actor: Actor,
    uid: string,
    body: Record<string, string>,
    clientId: string | null,
  ): Promise<CheckResult<PasskeyProof & { facts: PersonFacts }>> {
    const r = await this.webauthn.authenticate(actor, {
      binding: bindingOf(uid),
      challengeId: body.challengeId ?? '',
      response: body.response,
      requireUserVerification: true,
    });
    if (!r.ok) return { ok: false, throttledFor: r.throttledFor };
    const facts = await this.facts(r.userId, clientId, actor);
    if (!facts) return { ok: false };
    return { ok: true, value: { userId: r.userId, factor: passkeyFactor(r.strength), facts } };
  }

  /** A passkey as the second factor of the person the password identified. */
  async second(
    actor: Actor,
    uid: string,
    userId: string,
    body: Record<string, string>,
  ): Promise<CheckResult<UsedFactor>> {
    const r = await this.webauthn.authenticate(actor, {
      binding: bindingOf(uid),
      challengeId: body.challengeId ?? '',
      response: body.response,
      userId,
      requireUserVerification: false,
    });
    return r.ok
      ? { ok: true, value: passkeyFactor(r.strength) }
      : { ok: false, throttledFor: r.throttledFor };
  }

  /** Registers a passkey during enrolment; the ceremony itself proves it, so it counts at once. */
  async register(
    actor: Actor,
    uid: string,
    userId: string,
    body: Record<string, string>,
  ): Promise<CheckResult<UsedFactor>> {
    const r = await this.webauthn.register(actor, {
      userId,
      binding: bindingOf(uid),
      challengeId: body.challengeId ?? '',
      response: body.response,
      name: 'Passkey',
    });
    return r.ok ? { ok: true, value: passkeyFactor(r.strength) } : { ok: false };
  }
}
