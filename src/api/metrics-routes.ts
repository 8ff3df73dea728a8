import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.js';

/** The friction dashboard as JSON (the figures /metrics exposes, with their breakdowns). */
export async function metricsRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get('/metrics/dashboard', { config: { roles: ['admin', 'auditor'] } }, async () =>
    services.metrics.snapshot(),
  );
}
