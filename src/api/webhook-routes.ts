import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Services } from '../services.js';
import { tokenActor } from '../tokens/token-service.js';

const idParams = z.object({ id: z.string().min(1).max(64) });

/** Webhook subscriptions (admin): list, create (the secret is in this answer only), deactivate. */
export async function webhookRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get('/webhooks', { config: { roles: ['admin'] } }, async () => ({
    webhooks: await services.webhooks.list(),
  }));

  app.post('/webhooks', { config: { roles: ['admin'] } }, async (request, reply) => {
    const created = await services.webhooks.create(tokenActor(request.principal!, request.ip), request.body);
    return reply.code(201).send(created);
  });

  app.delete('/webhooks/:id', { config: { roles: ['admin'] } }, async (request) => {
    const { id } = idParams.parse(request.params);
    return services.webhooks.deactivate(tokenActor(request.principal!, request.ip), id);
  });
}
