import { AuditService } from './audit/audit-service.js';
import { AuthenticatorService } from './authenticators/authenticator-service.js';
import { InventoryService } from './authenticators/inventory/inventory-service.js';
import type { Context } from './context.js';
import { IdentityService } from './identity/identity-service.js';
import { HealthService } from './shared/health.js';
import { BootstrapService } from './tokens/bootstrap-service.js';
import { TokenService } from './tokens/token-service.js';
import { ValidationService } from './verification/validation-service.js';

/** Every service, built once from the context (the composition root). */
export function buildServices(ctx: Context) {
  const tokens = new TokenService(ctx);
  return {
    health: new HealthService(ctx.store),
    identity: new IdentityService(ctx),
    tokens,
    bootstrap: new BootstrapService(ctx, tokens),
    audit: new AuditService(ctx),
    authenticators: new AuthenticatorService(ctx),
    validation: new ValidationService(ctx),
    inventory: new InventoryService(ctx),
  };
}

export type Services = ReturnType<typeof buildServices>;
