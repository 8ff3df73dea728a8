import type { FastifyReply } from 'fastify';
import { ZodError } from 'zod';
import { toProblem } from '../api/problem.js';
import { AppError, type ErrorCode } from '../shared/errors.js';

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** The `scimType` values of RFC 7644 §3.12. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

/** The app error code (and so the HTTP status) each scimType travels with. */
const CODE: Record<ScimType, ErrorCode> = {
  invalidFilter: 'BAD_REQUEST',
  tooMany: 'PAYLOAD_TOO_LARGE',
  uniqueness: 'CONFLICT',
  mutability: 'BAD_REQUEST',
  invalidSyntax: 'BAD_REQUEST',
  invalidPath: 'BAD_REQUEST',
  noTarget: 'BAD_REQUEST',
  invalidValue: 'BAD_REQUEST',
  invalidVers: 'BAD_REQUEST',
  sensitive: 'FORBIDDEN',
};

/** The SCIM error document (RFC 7644 §3.12); `status` is a string there. */
export interface ScimErrorBody {
  schemas: [typeof SCIM_ERROR_SCHEMA];
  status: string;
  scimType?: ScimType;
  detail: string;
}

/** An AppError carrying a scimType (the one error model, with SCIM's sub-code in its details). */
export function scimError(scimType: ScimType, message: string, code: ErrorCode = CODE[scimType]): AppError {
  return new AppError(code, message, { scimType });
}

/** The scimType an error carries, if any. */
export function scimTypeOf(err: unknown): ScimType | undefined {
  if (err instanceof AppError) return err.details?.scimType as ScimType | undefined;
  if (err instanceof ZodError) return 'invalidValue';
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
    return 'invalidSyntax';
  if (err instanceof SyntaxError) return 'invalidSyntax';
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'tooMany';
  return undefined;
}

/** Maps any thrown value to a SCIM error a caller may see (5xx messages never are shown). */
export function toScimError(err: unknown): ScimErrorBody {
  const problem = toProblem(err);
  const scimType = problem.status < 500 ? scimTypeOf(err) : undefined;
  return {
    schemas: [SCIM_ERROR_SCHEMA],
    status: String(problem.status),
    ...(scimType ? { scimType } : {}),
    detail: problem.detail,
  };
}

/** Sends a SCIM error with its status and the SCIM media type. */
export function sendScimError(reply: FastifyReply, body: ScimErrorBody): FastifyReply {
  if (body.status === '401') reply.header('www-authenticate', 'Bearer realm="scim"');
  return reply.code(Number(body.status)).type('application/scim+json; charset=utf-8').send(body);
}
