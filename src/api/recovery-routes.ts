import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Agent } from '../recovery/recovery-model.js';
import type { Services } from '../services.js';
import { tokenActor } from '../tokens/token-service.js';

const idParams = z.object({ id: z.string().min(1).max(64) });
const STATES = ['open', 'approved', 'rejected', 'expired', 'completed', 'cancelled'] as const;
const listQuery = z.object({
  state: z.enum(STATES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
const rejectBody = z.strictObject({ reason: z.string().trim().min(1).max(500) });
const cancelBody = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() }).optional();

/** The caller as a recovery agent: its audit label, token name (the four-eyes key) and role. */
function agentOf(request: FastifyRequest): Agent {
  const p = request.principal!;
  return { ...tokenActor(p, request.ip), name: p.name, role: p.role };
}

/**
 * Help-desk recovery requests. Agents never see or set a person's secret or password; the one
 * secret shown is the Temporary Access Pass, once, in the answer that approves (when policy
 * delivers it through the agent).
 */
export async function recoveryRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const svc = services.recovery;

  app.post('/recovery-requests', { config: { roles: ['helpdesk', 'admin'] } }, async (request, reply) => {
    return reply.code(201).send(await svc.open(agentOf(request), request.body));
  });

  app.get(
    '/recovery-requests',
    { config: { roles: ['helpdesk', 'approver', 'admin', 'auditor'] } },
    async (request) => {
      return svc.list(listQuery.parse(request.query));
    },
  );

  app.get(
    '/recovery-requests/:id',
    { config: { roles: ['helpdesk', 'approver', 'admin', 'auditor'] } },
    async (request) => {
      return svc.get(idParams.parse(request.params).id);
    },
  );

  app.post('/recovery-requests/:id/approve', { config: { roles: ['approver'] } }, async (request) => {
    const { id } = idParams.parse(request.params);
    return svc.approve(agentOf(request), id);
  });

  app.post('/recovery-requests/:id/reject', { config: { roles: ['approver'] } }, async (request) => {
    const { id } = idParams.parse(request.params);
    return svc.reject(agentOf(request), id, rejectBody.parse(request.body).reason);
  });

  app.post('/recovery-requests/:id/cancel', { config: { roles: ['helpdesk', 'admin'] } }, async (request) => {
    const { id } = idParams.parse(request.params);
    return svc.cancel(agentOf(request), id, cancelBody.parse(request.body)?.reason ?? null);
  });
}
