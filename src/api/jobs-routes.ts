import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { JOB_STATES } from '../jobs/job-types.js';
import type { Services } from '../services.js';
import { tokenActor } from '../tokens/token-service.js';

const idParams = z.object({ id: z.string().min(1).max(64) });
// Unknown query keys are ignored (a list filter, not a command).
const listQuery = z.object({
  state: z.enum(JOB_STATES).optional(),
  kind: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** Durable jobs for admins: list (newest first), one job, retry a failed or dead one. */
export async function jobsRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get('/jobs', { config: { roles: ['admin'] } }, async (request) => {
    const q = listQuery.parse(request.query);
    return { jobs: await services.jobs.list(q) };
  });

  app.get('/jobs/:id', { config: { roles: ['admin'] } }, async (request) => {
    return services.jobs.get(idParams.parse(request.params).id);
  });

  app.post('/jobs/:id/retry', { config: { roles: ['admin'] } }, async (request) => {
    const { id } = idParams.parse(request.params);
    return services.jobs.retry(tokenActor(request.principal!, request.ip), id);
  });
}
