import type { AuthenticatorService } from '../authenticators/authenticator-service.js';
import type { Context } from '../context.js';
import type { PolicyService } from '../policy/policy-service.js';
import type { ValidationService } from '../verification/validation-service.js';
import type { WebAuthnService } from '../webauthn/webauthn-service.js';
import { ClientService } from './client-service.js';
import { GrantAudit } from './grant-audit.js';
import { SignInService } from './interactions/sign-in-service.js';
import { SignInStateStore } from './interactions/sign-in-state-store.js';
import { SigningKeyService } from './signing-keys.js';

/** The SSO services: clients, signing keys, the sign-in checks and state, and grant auditing. */
export function buildSsoServices(
  ctx: Context,
  deps: {
    validation: ValidationService;
    authenticators: AuthenticatorService;
    webauthn: WebAuthnService;
    policy: PolicyService;
  },
) {
  return {
    clients: new ClientService(ctx),
    signingKeys: new SigningKeyService(ctx),
    signIn: new SignInService(ctx, deps.validation, deps.authenticators, deps.webauthn, deps.policy),
    signInStates: new SignInStateStore(ctx),
    grantAudit: new GrantAudit(ctx),
  };
}

export type SsoServices = ReturnType<typeof buildSsoServices>;
