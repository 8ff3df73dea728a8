import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Services } from '../services.js';
import { tokenActor } from '../tokens/token-service.js';

const idParams = z.object({ id: z.string().min(1).max(64) });
const groupParams = z.object({ name: z.string().min(1).max(200) });

/** Lifecycle: people's enrolment requirements, the rules (data), and bulk invitation of a group. */
export async function lifecycleRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const readers = ['admin', 'helpdesk', 'approver', 'auditor'] as const;
  const { lifecycle } = services;

  app.get('/users/:id/requirements', { config: { roles: readers } }, async (request) => ({
    requirements: await lifecycle.requirementsOf(idParams.parse(request.params).id),
  }));

  app.get('/lifecycle/rules', { config: { roles: ['admin', 'auditor'] } }, async () => ({
    rules: await lifecycle.rules.list(),
  }));

  app.post('/lifecycle/rules', { config: { roles: ['admin'] } }, async (request, reply) => {
    const rule = await lifecycle.rules.create(tokenActor(request.principal!, request.ip), request.body);
    return reply.code(201).send(rule);
  });

  app.patch('/lifecycle/rules/:id', { config: { roles: ['admin'] } }, async (request) => {
    const { id } = idParams.parse(request.params);
    return lifecycle.rules.update(tokenActor(request.principal!, request.ip), id, request.body);
  });

  app.post('/groups/:name/invite', { config: { roles: ['admin'] } }, async (request) => {
    const { name } = groupParams.parse(request.params);
    return lifecycle.inviteGroup(tokenActor(request.principal!, request.ip), name);
  });
}
