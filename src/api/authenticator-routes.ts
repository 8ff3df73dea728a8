import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { authenticatorNameSchema } from '../authenticators/types/issue-options.js';
import type { Services } from '../services.js';
import { tokenActor } from '../tokens/token-service.js';

const idParams = z.object({ id: z.string().min(1).max(64) });
const reason = z.string().trim().min(1).max(500);
const revokeBody = z.strictObject({ reason });
// Suspend, lost and reactivate take an optional reason; a POST without a body is fine.
const optionalReasonBody = z.strictObject({ reason: reason.optional() }).optional();
const renameBody = z.strictObject({ name: authenticatorNameSchema.nullable() });

/** Authenticators: issue (admin), read (admin, help desk, auditors), lifecycle (admin, help desk). */
export async function authenticatorRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const readers = ['admin', 'helpdesk', 'auditor'] as const;
  const operators = ['admin', 'helpdesk'] as const;
  const svc = services.authenticators;

  app.post('/users/:id/authenticators', { config: { roles: ['admin'] } }, async (request, reply) => {
    const { id } = idParams.parse(request.params);
    const issued = await svc.issue(tokenActor(request.principal!, request.ip), id, request.body);
    return reply.code(201).send(issued);
  });

  // A plain JSON array (CONTRACT.md: "list, never with secrets").
  app.get('/users/:id/authenticators', { config: { roles: readers } }, async (request) => {
    return svc.list(idParams.parse(request.params).id);
  });

  app.get('/authenticators/:id', { config: { roles: readers } }, async (request) => {
    return svc.get(idParams.parse(request.params).id);
  });

  app.post('/authenticators/:id/revoke', { config: { roles: operators } }, async (request) => {
    const { id } = idParams.parse(request.params);
    const body = revokeBody.parse(request.body);
    return svc.revoke(tokenActor(request.principal!, request.ip), id, body.reason);
  });

  // Suspend, lost and reactivate differ only in the service method they call.
  const lifecycle = {
    lost: svc.markLost.bind(svc),
    suspend: svc.suspend.bind(svc),
    reactivate: svc.reactivate.bind(svc),
  };
  for (const [path, act] of Object.entries(lifecycle)) {
    app.post(`/authenticators/:id/${path}`, { config: { roles: operators } }, async (request) => {
      const { id } = idParams.parse(request.params);
      const body = optionalReasonBody.parse(request.body);
      return act(tokenActor(request.principal!, request.ip), id, body?.reason ?? null);
    });
  }

  app.patch('/authenticators/:id', { config: { roles: ['admin'] } }, async (request) => {
    const { id } = idParams.parse(request.params);
    const body = renameBody.parse(request.body);
    return svc.rename(tokenActor(request.principal!, request.ip), id, body.name);
  });
}
