import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Services } from '../services.js';
import { tokenActor } from '../tokens/token-service.js';

const idParams = z.object({ id: z.string().min(1).max(64) });
const explainQuery = z.object({
  user: z.string().min(1).max(256),
  client: z.string().min(1).max(200).optional(),
});
const exceptionsQuery = z.object({
  status: z.enum(['all', 'active', 'expiring', 'overdue']).default('active'),
});
const revokeBody = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() });

/**
 * Policies, their explanations, coverage, and exceptions. Only admins change policy (help desk
 * may not); approvers grant and revoke exceptions; auditors read.
 */
export async function policyRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const { policy, policies } = services;

  app.get('/policies', { config: { roles: ['admin', 'auditor'] } }, async () => ({
    policies: await policy.list(),
  }));

  app.get('/policies/:id', { config: { roles: ['admin', 'auditor'] } }, async (request) =>
    policy.get(idParams.parse(request.params).id),
  );

  app.post('/policies', { config: { roles: ['admin'] } }, async (request, reply) => {
    const created = await policy.create(tokenActor(request.principal!, request.ip), request.body);
    return reply.code(201).send(created);
  });

  app.put('/policies/:id', { config: { roles: ['admin'] } }, async (request) => {
    const { id } = idParams.parse(request.params);
    return policy.update(tokenActor(request.principal!, request.ip), id, request.body);
  });

  app.delete('/policies/:id', { config: { roles: ['admin'] } }, async (request, reply) => {
    const { id } = idParams.parse(request.params);
    await policy.remove(tokenActor(request.principal!, request.ip), id);
    return reply.code(204).send();
  });

  app.get('/policy/explain', { config: { roles: ['admin', 'helpdesk', 'auditor'] } }, async (request) => {
    const q = explainQuery.parse(request.query);
    return policy.explainFor(q.user, q.client ?? null);
  });

  app.get('/policy/coverage', { config: { roles: ['admin', 'auditor'] } }, async () =>
    policies.coverage.report(),
  );

  app.get('/exceptions', { config: { roles: ['admin', 'approver', 'auditor'] } }, async (request) => {
    const { status } = exceptionsQuery.parse(request.query);
    return { exceptions: await policies.exceptions.list(status) };
  });

  app.post('/exceptions', { config: { roles: ['approver'] } }, async (request, reply) => {
    const granted = await policies.exceptions.grant(tokenActor(request.principal!, request.ip), request.body);
    return reply.code(201).send(granted);
  });

  app.post('/exceptions/:id/revoke', { config: { roles: ['approver'] } }, async (request) => {
    const { id } = idParams.parse(request.params);
    const body = revokeBody.parse(request.body ?? {});
    return policies.exceptions.revoke(tokenActor(request.principal!, request.ip), id, body.reason);
  });
}
