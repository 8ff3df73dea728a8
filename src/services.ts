import { AuditService } from './audit/audit-service.js';
import type { Context } from './context.js';
import { IdentityService } from './identity/identity-service.js';
import { HealthService } from './shared/health.js';
import { BootstrapService } from './tokens/bootstrap-service.js';
import { TokenService } from './tokens/token-service.js';

/** Every service, built once from the context (the composition root). */
export function buildServices(ctx: Context) {
  const tokens = new TokenService(ctx);
  return {
    health: new HealthService(ctx.store),
    identity: new IdentityService(ctx),
    tokens,
    bootstrap: new BootstrapService(ctx, tokens),
    audit: new AuditService(ctx),
  };
}

export type Services = ReturnType<typeof buildServices>;
