import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Services } from '../services.js';
import { tokenActor } from '../tokens/token-service.js';

const idParams = z.object({ id: z.string().min(1).max(64) });

/** OIDC clients: register (admin; the secret is in this answer only) and read (admin, auditor). */
export async function clientRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const { clients } = services.sso;

  app.get('/clients', { config: { roles: ['admin', 'auditor'] } }, async () => ({
    clients: await clients.list(),
  }));

  app.get('/clients/:id', { config: { roles: ['admin', 'auditor'] } }, async (request) =>
    clients.get(idParams.parse(request.params).id),
  );

  app.post('/clients', { config: { roles: ['admin'] } }, async (request, reply) => {
    const created = await clients.create(tokenActor(request.principal!, request.ip), request.body);
    return reply.code(201).send(created);
  });
}
