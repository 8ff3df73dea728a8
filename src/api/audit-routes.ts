import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { exportLines } from '../audit/audit-export.js';
import { z } from 'zod';
import type { Services } from '../services.js';

const exportQuery = z.object({ since: z.iso.datetime({ offset: true }).optional() });

/** The audit trail for auditors: verify and export (JSON lines). */
export async function auditRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get('/audit/verify', { config: { roles: ['admin', 'auditor'] } }, async () => services.audit.verify());

  app.get('/audit/events', { config: { roles: ['admin', 'auditor'] } }, async (request, reply) => {
    const q = exportQuery.parse(request.query);
    // Streamed page by page: a long trail never sits in memory whole.
    const events = services.audit.export(q.since ? Date.parse(q.since) : undefined);
    return reply.type('application/x-ndjson').send(Readable.from(exportLines(events, 'jsonl')));
  });
}
