import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { newPersonSchema, PERSON_STATUSES, personUpdateSchema } from '../identity/person.js';
import type { Services } from '../services.js';
import { tokenActor } from '../tokens/token-service.js';

const idParams = z.object({ id: z.string().min(1).max(64) });
const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
  q: z.string().max(200).optional(),
});
const statusBody = z.strictObject({
  status: z.enum(PERSON_STATUSES),
  reason: z.string().max(500).optional(),
});
const passwordBody = z.strictObject({ password: z.string().min(8).max(256) });

/** People and groups (SCIM is the provisioning face; these are for admins and the console). */
export async function peopleRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const readers = ['admin', 'helpdesk', 'approver', 'auditor'] as const;

  app.get('/users', { config: { roles: readers } }, async (request) => {
    const q = listQuery.parse(request.query);
    return services.identity.list({ limit: q.limit, offset: q.offset, search: q.q });
  });

  app.post('/users', { config: { roles: ['admin'] } }, async (request, reply) => {
    const body = newPersonSchema.parse(request.body);
    const person = await services.identity.create(tokenActor(request.principal!, request.ip), body);
    return reply.code(201).send(person);
  });

  app.get('/users/:id', { config: { roles: readers } }, async (request) => {
    return services.identity.get(idParams.parse(request.params).id);
  });

  app.patch('/users/:id', { config: { roles: ['admin'] } }, async (request) => {
    const { id } = idParams.parse(request.params);
    const body = personUpdateSchema.parse(request.body);
    return services.identity.update(tokenActor(request.principal!, request.ip), id, body);
  });

  app.post('/users/:id/status', { config: { roles: ['admin'] } }, async (request) => {
    const { id } = idParams.parse(request.params);
    const body = statusBody.parse(request.body);
    return services.identity.setStatus(
      tokenActor(request.principal!, request.ip),
      id,
      body.status,
      body.reason,
    );
  });

  app.post('/users/:id/password', { config: { roles: ['admin'] } }, async (request, reply) => {
    const { id } = idParams.parse(request.params);
    const body = passwordBody.parse(request.body);
    await services.identity.setPassword(tokenActor(request.principal!, request.ip), id, body.password);
    return reply.code(204).send();
  });

  app.get('/users/:id/history', { config: { roles: readers } }, async (request) => {
    const { id } = idParams.parse(request.params);
    await services.identity.get(id);
    return { events: await services.audit.forSubject(id) };
  });

  app.get('/groups', { config: { roles: readers } }, async () => ({
    groups: await services.identity.listGroups(),
  }));
}
