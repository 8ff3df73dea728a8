import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Services } from '../services.js';
import { AppError } from '../shared/errors.js';
import { sendProblem, toProblem } from './problem.js';
import { tokenActor } from '../tokens/token-service.js';

const body = z.strictObject({
  username: z.string().min(1).max(256),
  code: z.string().min(1).max(64),
});

/** THROTTLED without a stack trace: built on every throttled request. */
class ThrottledError extends AppError {
  constructor(seconds: number) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super('THROTTLED', `too many failed attempts; retry after ${seconds} s`);
    Error.stackTraceLimit = limit;
  }
}

/** `POST /validate`: for VPNs, PAM and legacy apps (role validator). */
export async function validateRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.post('/validate', { config: { roles: ['validator'] } }, async (request, reply) => {
    const { username, code } = body.parse(request.body);
    const r = await services.validation.validate(tokenActor(request.principal!, request.ip), username, code);
    if (r.result === 'throttled') {
      // Answered directly, not thrown: a flood of throttled requests should cost as little as possible.
      reply.header('retry-after', String(r.retryAfterSeconds));
      return sendProblem(reply, toProblem(new ThrottledError(r.retryAfterSeconds)));
    }
    return { result: r.result };
  });
}
