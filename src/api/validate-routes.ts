import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Services } from '../services.js';
import { AppError } from '../shared/errors.js';
import { tokenActor } from '../tokens/token-service.js';

const body = z.strictObject({
  username: z.string().min(1).max(256),
  code: z.string().min(1).max(64),
});

/** `POST /validate`: for VPNs, PAM and legacy apps (role validator). */
export async function validateRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.post('/validate', { config: { roles: ['validator'] } }, async (request, reply) => {
    const { username, code } = body.parse(request.body);
    const r = await services.validation.validate(tokenActor(request.principal!, request.ip), username, code);
    if (r.result === 'throttled') {
      reply.header('retry-after', String(r.retryAfterSeconds));
      throw new AppError('THROTTLED', `too many failed attempts; retry after ${r.retryAfterSeconds} s`);
    }
    return { result: r.result };
  });
}
