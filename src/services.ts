import { AuditService } from './audit/audit-service.js';
import { AuthenticatorService } from './authenticators/authenticator-service.js';
import { BackupService } from './backup/backup-service.js';
import { InventoryService } from './authenticators/inventory/inventory-service.js';
import type { Context } from './context.js';
import { KeyRotationService } from './crypto/key-rotation-service.js';
import { IdentityService } from './identity/identity-service.js';
import { JobService } from './jobs/job-service.js';
import { MetricsService } from './metrics/metrics-service.js';
import { METRICS_COMPACT, MetricsCompaction } from './metrics/metrics-compaction.js';
import { MailService, SEND_MAIL } from './notify/mail-service.js';
import { OutboxService } from './notify/outbox-service.js';
import { buildPolicyServices } from './policy/policy-services.js';
import { PolicyService } from './policy/policy-service.js';
import { WEBHOOK_JOB, WebhookService } from './notify/webhooks.js';
import { ScimService } from './scim/scim-service.js';
import { HealthService } from './shared/health.js';
import { buildSsoServices } from './sso/sso-services.js';
import { BootstrapService } from './tokens/bootstrap-service.js';
import { TokenService } from './tokens/token-service.js';
import { ValidationService } from './verification/validation-service.js';
import { WebAuthnService } from './webauthn/webauthn-service.js';
import { AccountService } from './account/account-service.js';
import { InvitationService } from './enrolment/invitation-service.js';
import { LifecycleService } from './lifecycle/lifecycle-service.js';
import { LIFECYCLE_SWEEP } from './lifecycle/sweep-schedule.js';
import { JOINER_START_PASS, runStartPass } from './lifecycle/start-pass.js';
import { HousekeepingService } from './housekeeping/housekeeping-service.js';
import { HOUSEKEEPING } from './housekeeping/housekeeping-schedule.js';
import { RecoveryService } from './recovery/recovery-service.js';
import { accessPassCheck } from './recovery/access-pass-check.js';
import { recoveryCodesAllowed, recoveryCodesCheck } from './recovery/recovery-codes-check.js';
import { PersonRolesService } from './identity/person-roles-service.js';

/** Every service, built once from the context (the composition root). */
export function buildServices(ctx: Context) {
  const tokens = new TokenService(ctx);
  const authenticators = new AuthenticatorService(ctx);
  const policy = new PolicyService(ctx);
  const validation = new ValidationService(ctx, policy);
  const webauthn = new WebAuthnService(ctx);
  const jobs = new JobService(ctx);
  const outbox = new OutboxService(ctx);
  const mail = new MailService(ctx, jobs, outbox);
  const webhooks = new WebhookService(ctx, jobs);
  // One handler per job kind; the worker that `serve` starts runs them.
  jobs.handle(SEND_MAIL, (payload, run) => mail.deliver(payload, run));
  jobs.handle(WEBHOOK_JOB, (payload, run) => webhooks.deliver(payload, run));
  const policies = buildPolicyServices(ctx, { policy, jobs, mail });
  const sso = buildSsoServices(ctx, { validation, authenticators, webauthn, policy });
  const recovery = new RecoveryService(ctx, authenticators, mail, policy);
  // A stand-alone Temporary Access Pass asks the policy evaluator too (path allowed, lifetime).
  authenticators.checkIssues(accessPassCheck(ctx, policy));
  // So do recovery codes, wherever issued (admin API, /account, after an invitation's enrolment).
  authenticators.checkIssues(recoveryCodesCheck(ctx, policy));
  const inventory = new InventoryService(ctx);
  // Identity changes (SCIM, admin API, CSV import) become lifecycle events through `lifecycle.events`.
  const lifecycle = new LifecycleService(ctx, { mail, jobs, inventory, policy });
  jobs.handle(LIFECYCLE_SWEEP, async (_payload, run) => {
    await lifecycle.sweep.handle(run);
  });
  // A joiner's day-one pass to the manager, on the day its rule says (lifecycle/start-pass.ts).
  jobs.handle(JOINER_START_PASS, (payload) =>
    runStartPass({ ctx, mail, jobs, policy, authenticators }, payload),
  );
  const housekeeping = new HousekeepingService(ctx, jobs);
  jobs.handle(HOUSEKEEPING, async (_payload, run) => {
    await housekeeping.handle(run);
  });
  // The metrics tallies' deltas are folded into their base rows every minute (metrics/metrics-compaction.ts).
  const metricsCompaction = new MetricsCompaction(ctx, jobs);
  jobs.handle(METRICS_COMPACT, async () => {
    await metricsCompaction.handle();
  });
  // A sign-in that enrols a new factor after a help-desk pass completes its recovery request.
  sso.signIn.onRecoveryEnrolled((actor, userId) => recovery.completeForPerson(actor, userId));
  return {
    health: new HealthService(ctx.store),
    identity: new IdentityService(ctx, lifecycle.events),
    tokens,
    bootstrap: new BootstrapService(ctx, tokens),
    audit: new AuditService(ctx),
    authenticators,
    validation,
    policy,
    policies,
    sso,
    recovery,
    webauthn,
    account: new AccountService(ctx, {
      authenticators,
      validation,
      webauthn,
      mail,
      audit: new AuditService(ctx),
    }),
    inventory,
    lifecycle,
    housekeeping,
    invitations: new InvitationService(ctx, {
      authenticators,
      validation,
      webauthn,
      recoveryCodesAllowed: (userId) => recoveryCodesAllowed(ctx, policy, userId),
    }),
    keys: new KeyRotationService(ctx),
    backup: new BackupService(ctx),
    jobs,
    mail,
    outbox,
    webhooks,
    scim: new ScimService(ctx, lifecycle.events),
    metrics: new MetricsService(ctx),
    metricsCompaction,
    personRoles: new PersonRolesService(ctx),
  };
}

export type Services = ReturnType<typeof buildServices>;
