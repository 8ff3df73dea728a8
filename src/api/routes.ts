import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.js';
import { auditRoutes } from './audit-routes.js';
import { peopleRoutes } from './people-routes.js';
import { tokenRoutes } from './token-routes.js';

/** Every /api/v1 route module, by domain. */
export async function apiRoutes(app: FastifyInstance, services: Services): Promise<void> {
  await peopleRoutes(app, services);
  await tokenRoutes(app, services);
  await auditRoutes(app, services);
}
