import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Services } from '../services.js';

const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });

/** `GET /outbox`: the dev outbox, newest first (CONTRACT.md); 404 NOT_FOUND while SMTP_URL is set. */
export async function outboxRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get('/outbox', { config: { roles: ['admin', 'helpdesk'] } }, async (request) => {
    const q = listQuery.parse(request.query);
    // A plain JSON array of {to, subject, text, sentAt, …} (CONTRACT.md).
    return services.outbox.list(q.limit);
  });
}
