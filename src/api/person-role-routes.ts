import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Services } from '../services.js';
import { tokenActor } from '../tokens/token-service.js';

const idParams = z.object({ id: z.string().min(1).max(64) });

/** A person's console roles: read by the readers of people, set only by admins. */
export async function personRoleRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get('/users/:id/roles', { config: { roles: ['admin', 'auditor'] } }, async (request) => {
    const { id } = idParams.parse(request.params);
    await services.identity.get(id);
    return { userId: id, roles: await services.personRoles.of(id) };
  });

  app.put('/users/:id/roles', { config: { roles: ['admin'] } }, async (request) => {
    const { id } = idParams.parse(request.params);
    return services.personRoles.set(tokenActor(request.principal!, request.ip), id, request.body);
  });
}
