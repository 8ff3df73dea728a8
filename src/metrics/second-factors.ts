import type { AuthenticatorKind } from '../authenticators/authenticator-type.js';
import { listTypes } from '../authenticators/registry.js';

/** Kinds that count as a second factor (not recovery-only material such as codes and passes). */
export const SECOND_FACTOR_KINDS: readonly AuthenticatorKind[] = listTypes()
  .filter((t) => !t.describe.recoveryOnly)
  .map((t) => t.kind);

/** Kinds whose own description says they resist phishing (passkeys today). */
export const PHISHING_RESISTANT_KINDS: ReadonlySet<AuthenticatorKind> = new Set(
  listTypes()
    .filter((t) => t.describe.phishingResistant)
    .map((t) => t.kind),
);
