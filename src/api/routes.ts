import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.js';
import { auditRoutes } from './audit-routes.js';
import { authenticatorRoutes } from './authenticator-routes.js';
import { clientRoutes } from './client-routes.js';
import { inventoryRoutes } from './inventory-routes.js';
import { jobsRoutes } from './jobs-routes.js';
import { lifecycleRoutes } from './lifecycle-routes.js';
import { metricsRoutes } from './metrics-routes.js';
import { outboxRoutes } from './outbox-routes.js';
import { peopleRoutes } from './people-routes.js';
import { personRoleRoutes } from './person-role-routes.js';
import { policyRoutes } from './policy-routes.js';
import { recoveryRoutes } from './recovery-routes.js';
import { tokenRoutes } from './token-routes.js';
import { validateRoutes } from './validate-routes.js';
import { webhookRoutes } from './webhook-routes.js';

/** Every /api/v1 route module, by domain. */
export async function apiRoutes(app: FastifyInstance, services: Services): Promise<void> {
  await peopleRoutes(app, services);
  await personRoleRoutes(app, services);
  await tokenRoutes(app, services);
  await auditRoutes(app, services);
  await authenticatorRoutes(app, services);
  await validateRoutes(app, services);
  await inventoryRoutes(app, services);
  await clientRoutes(app, services);
  await jobsRoutes(app, services);
  await outboxRoutes(app, services);
  await webhookRoutes(app, services);
  await policyRoutes(app, services);
  await recoveryRoutes(app, services);
  await metricsRoutes(app, services);
  await lifecycleRoutes(app, services);
}
