import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AUTHENTICATOR_STATES } from '../authenticators/authenticator-type.js';
import { MAX_SERIAL_LENGTH } from '../authenticators/inventory/inventory-service.js';
import type { Services } from '../services.js';
import { tokenActor } from '../tokens/token-service.js';

const serialParams = z.object({ serial: z.string().min(1).max(MAX_SERIAL_LENGTH) });
// Unknown query keys are ignored (a list filter, not a command).
const listQuery = z.object({
  state: z.enum(AUTHENTICATOR_STATES).optional(),
  assigned: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
});
const assignBody = z.strictObject({ userId: z.string().min(1).max(64) });
// A return takes an optional reason; a POST without a body is fine.
const unassignBody = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() }).optional();

/** The hardware-token inventory: read (admin, help desk, auditors), bind and return (admin, help desk). */
export async function inventoryRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const readers = ['admin', 'helpdesk', 'auditor'] as const;
  const operators = ['admin', 'helpdesk'] as const;

  // A plain JSON array (CONTRACT.md): serial, type, state, userId (null while unassigned), …
  app.get('/inventory', { config: { roles: readers } }, async (request) => {
    const q = listQuery.parse(request.query);
    return services.inventory.list({ state: q.state, assigned: q.assigned });
  });

  app.post('/inventory/:serial/assign', { config: { roles: operators } }, async (request) => {
    const { serial } = serialParams.parse(request.params);
    const { userId } = assignBody.parse(request.body);
    return services.inventory.assign(tokenActor(request.principal!, request.ip), serial, userId);
  });

  app.post('/inventory/:serial/unassign', { config: { roles: operators } }, async (request) => {
    const { serial } = serialParams.parse(request.params);
    const body = unassignBody.parse(request.body);
    return services.inventory.unassign(tokenActor(request.principal!, request.ip), serial, body?.reason);
  });
}
