import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Services } from '../services.js';
import { ROLES } from '../tokens/roles.js';
import { tokenActor } from '../tokens/token-service.js';

const createBody = z.strictObject({ role: z.enum(ROLES), name: z.string().trim().min(1).max(100) });
const idParams = z.object({ id: z.string().min(1).max(64) });

/** API tokens: admins list, create and revoke them. */
export async function tokenRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get('/tokens', { config: { roles: ['admin'] } }, async () => ({
    tokens: await services.tokens.list(),
  }));

  app.post('/tokens', { config: { roles: ['admin'] } }, async (request, reply) => {
    const body = createBody.parse(request.body);
    const created = await services.tokens.create(
      tokenActor(request.principal!, request.ip),
      body.role,
      body.name,
    );
    return reply.code(201).send(created);
  });

  app.post('/tokens/:id/revoke', { config: { roles: ['admin'] } }, async (request) => {
    const { id } = idParams.parse(request.params);
    await services.tokens.revoke(tokenActor(request.principal!, request.ip), id);
    return { id, revoked: true };
  });
}
