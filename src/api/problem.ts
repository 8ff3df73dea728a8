import type { FastifyReply } from 'fastify';
import { ZodError } from 'zod';
import { AppError } from '../shared/errors.js';

/** An RFC 9457 problem document. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: Array<{ path: string; message: string }>;
}

/**
 * Maps any thrown value to a problem the caller may see. AppErrors keep their code and status;
 * schema failures are 400 VALIDATION_FAILED naming each field; Fastify's own 4xx (bad JSON,
 * body too large, wrong media type) keep their status; anything else is a 500 whose message is
 * never shown.
 */
export function toProblem(err: unknown): Problem {
  if (err instanceof AppError) {
    return {
      type: 'about:blank',
      title: err.code,
      status: err.status,
      detail: err.expose ? err.message : 'internal error',
      code: err.code,
    };
  }
  if (err instanceof ZodError) {
    const errors = err.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message }));
    return {
      type: 'about:blank',
      title: 'VALIDATION_FAILED',
      status: 400,
      detail: errors.map((e) => `${e.path}: ${e.message}`).join('; '),
      code: 'VALIDATION_FAILED',
      errors,
    };
  }
  const status = (err as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const fastifyCode = String((err as { code?: unknown }).code ?? '');
    const code =
      status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST';
    const detail =
      fastifyCode === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError
        ? 'the body is not valid JSON'
        : String((err as Error).message ?? 'bad request');
    return { type: 'about:blank', title: code, status, detail, code };
  }
  return { type: 'about:blank', title: 'INTERNAL', status: 500, detail: 'internal error', code: 'INTERNAL' };
}

/** Sends a problem+json answer. */
export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  if (problem.status === 429 && !reply.getHeader('retry-after')) reply.header('retry-after', '30');
  return reply.code(problem.status).type('application/problem+json').send(problem);
}
