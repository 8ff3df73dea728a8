import type { AuthenticatorView } from '../../authenticators/authenticator-view.js';
import type { TypeDescription } from '../../authenticators/authenticator-type.js';
import type { Aal, UsedFactor } from '../acr-amr.js';

/**
 * The ways a person can pass the second-factor step. A passkey (webauthn) joins as soon as its
 * type is in the authenticator registry: the flow only reads the types' own descriptions.
 */
export const SECOND_FACTOR_METHODS = ['passkey', 'otp', 'access_pass', 'recovery_code'] as const;
export type SecondFactorMethod = (typeof SECOND_FACTOR_METHODS)[number];

/** Which method each authenticator type is used through. */
const METHOD_OF_TYPE: Readonly<Record<string, SecondFactorMethod>> = {
  webauthn: 'passkey',
  totp: 'otp',
  hotp: 'otp',
  access_pass: 'access_pass',
  recovery_codes: 'recovery_code',
};

/** One method the person has, with what it can be worth. */
export interface AvailableMethod {
  method: SecondFactorMethod;
  /** The level password + this method reaches (phishing-resistant methods alone reach AAL3). */
  aal: Aal;
  /** Passes and recovery codes: they lead into enrolment, never straight to the application. */
  recoveryOnly: boolean;
  /** Some authenticator behind it was used before (not only issued and pending). */
  active: boolean;
}

/** The level an authenticator type supports as a second factor next to a password. */
export function levelOf(
  describe: Pick<TypeDescription, 'maxAal' | 'phishingResistant' | 'recoveryOnly'>,
): Aal {
  if (describe.recoveryOnly) return 1;
  return Math.min(describe.maxAal, describe.phishingResistant ? 3 : 2) as Aal;
}

/** Whether an authenticator can be used now: live, unexpired, and (for code sets) with codes left. */
function usable(a: AuthenticatorView, now: number): boolean {
  if (a.state !== 'pending' && a.state !== 'active') return false;
  if (a.expiresAt !== null && Date.parse(a.expiresAt) <= now) return false;
  return a.remaining === undefined || a.remaining > 0;
}

/**
 * The methods a person has now, strongest first, from their authenticators and the registry's
 * descriptions (`describe` returns undefined for a type the registry does not know yet).
 */
export function availableMethods(
  authenticators: readonly AuthenticatorView[],
  describe: (type: string) => TypeDescription | undefined,
  now: number,
): AvailableMethod[] {
  const found = new Map<SecondFactorMethod, AvailableMethod>();
  for (const a of authenticators) {
    const method = METHOD_OF_TYPE[a.type];
    const d = describe(a.type);
    if (!method || !d || !usable(a, now)) continue;
    const seen = found.get(method);
    found.set(method, {
      method,
      aal: Math.max(seen?.aal ?? 1, levelOf(d)) as Aal,
      recoveryOnly: d.recoveryOnly,
      active: (seen?.active ?? false) || a.state === 'active',
    });
  }
  return SECOND_FACTOR_METHODS.flatMap((m) => (found.has(m) ? [found.get(m)!] : []));
}

/** A used authenticator as the assurance rules see it. */
export function usedAuthenticator(type: string, d: TypeDescription): UsedFactor {
  return {
    kind: 'authenticator',
    type,
    amr: d.amr,
    maxAal: d.maxAal,
    phishingResistant: d.phishingResistant,
    recoveryOnly: d.recoveryOnly,
  };
}
