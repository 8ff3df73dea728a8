import { listTypes } from '../authenticators/registry.js';

/** The parts of an authenticator that decide whether it meets a requirement. */
export interface FactorFacts {
  id: string;
  type: string;
  state: string;
}

/** What a requirement accepts. */
export interface Acceptance {
  requiredTypes: readonly string[];
  phishingResistant: boolean;
}

/** Whether a type resists phishing, from the type's own description (passkeys do). */
export function isPhishingResistant(type: string): boolean {
  return listTypes().some((t) => t.kind === type && t.describe.phishingResistant);
}

/** Single-use recovery material: never a second factor a requirement counts. */
function recoveryOnly(type: string): boolean {
  return listTypes().some((t) => t.kind === type && t.describe.recoveryOnly);
}

/** Whether one factor counts for a requirement: active, of an accepted type, resistant when asked. */
export function counts(factor: FactorFacts, req: Acceptance): boolean {
  return (
    factor.state === 'active' &&
    req.requiredTypes.includes(factor.type) &&
    (!req.phishingResistant || isPhishingResistant(factor.type))
  );
}

/** The first factor that meets the requirement, or undefined. */
export function satisfyingFactor<F extends FactorFacts>(
  factors: readonly F[],
  req: Acceptance,
): F | undefined {
  return factors.find((f) => counts(f, req));
}

/** The person's usable second factors (active, not recovery material) that do not count for it. */
export function factorsThatNoLongerCount<F extends FactorFacts>(factors: readonly F[], req: Acceptance): F[] {
  return factors.filter((f) => f.state === 'active' && !recoveryOnly(f.type) && !counts(f, req));
}

/** Whether the person holds any usable second factor (an invitation may bind only a first one). */
export function holdsSecondFactor(factors: readonly FactorFacts[]): boolean {
  return factors.some((f) => f.state === 'active' && !recoveryOnly(f.type));
}
