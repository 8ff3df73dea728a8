import { AuditService } from './audit/audit-service.js';
import { AuthenticatorService } from './authenticators/authenticator-service.js';
import { InventoryService } from './authenticators/inventory/inventory-service.js';
import type { Context } from './context.js';
import { KeyRotationService } from './crypto/key-rotation-service.js';
import { IdentityService } from './identity/identity-service.js';
import { JobService } from './jobs/job-service.js';
import { MailService, SEND_MAIL } from './notify/mail-service.js';
import { OutboxService } from './notify/outbox-service.js';
import { WEBHOOK_JOB, WebhookService } from './notify/webhooks.js';
import { ScimService } from './scim/scim-service.js';
import { HealthService } from './shared/health.js';
import { buildSsoServices } from './sso/sso-services.js';
import { BootstrapService } from './tokens/bootstrap-service.js';
import { TokenService } from './tokens/token-service.js';
import { ValidationService } from './verification/validation-service.js';

/** Every service, built once from the context (the composition root). */
export function buildServices(ctx: Context) {
  const tokens = new TokenService(ctx);
  const authenticators = new AuthenticatorService(ctx);
  const validation = new ValidationService(ctx);
  const jobs = new JobService(ctx);
  const outbox = new OutboxService(ctx);
  const mail = new MailService(ctx, jobs, outbox);
  const webhooks = new WebhookService(ctx, jobs);
  // One handler per job kind; the worker that `serve` starts runs them.
  jobs.handle(SEND_MAIL, (payload, run) => mail.deliver(payload, run));
  jobs.handle(WEBHOOK_JOB, (payload, run) => webhooks.deliver(payload, run));
  return {
    health: new HealthService(ctx.store),
    identity: new IdentityService(ctx),
    tokens,
    bootstrap: new BootstrapService(ctx, tokens),
    audit: new AuditService(ctx),
    authenticators,
    validation,
    sso: buildSsoServices(ctx, { validation, authenticators }),
    inventory: new InventoryService(ctx),
    keys: new KeyRotationService(ctx),
    jobs,
    mail,
    outbox,
    webhooks,
    scim: new ScimService(ctx),
  };
}

export type Services = ReturnType<typeof buildServices>;
