/**
 * The one error model. Every failure that reaches a face carries a stable UPPER_SNAKE `code`,
 * the HTTP status it maps to, and whether its message may be shown to the caller. Faces map it
 * to problem+json (/api/v1), the SCIM error schema (/scim/v2), OAuth errors (SSO) or a CLI exit.
 */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'VALIDATION_FAILED'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PRECONDITION_FAILED'
  | 'INVALID_STATE'
  | 'THROTTLED'
  | 'REAUTH_REQUIRED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'INVALID_SECRET'
  | 'PSKC_INVALID'
  | 'PSKC_DECRYPTION_FAILED'
  | 'PSKC_MAC_MISMATCH'
  | 'PSKC_DUPLICATE_SERIAL'
  | 'CONFIG_INVALID'
  | 'AUDIT_CHAIN_BROKEN'
  | 'RECOVERY_SELF_APPROVAL'
  | 'POLICY_FORBIDS'
  | 'INTERNAL';

const STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  INVALID_STATE: 409,
  THROTTLED: 429,
  REAUTH_REQUIRED: 403,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INVALID_SECRET: 400,
  PSKC_INVALID: 400,
  PSKC_DECRYPTION_FAILED: 400,
  PSKC_MAC_MISMATCH: 400,
  PSKC_DUPLICATE_SERIAL: 409,
  CONFIG_INVALID: 500,
  AUDIT_CHAIN_BROKEN: 500,
  RECOVERY_SELF_APPROVAL: 403,
  POLICY_FORBIDS: 403,
  INTERNAL: 500,
};

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Whether `message` may be shown to the caller (5xx messages never are). */
  readonly expose: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = STATUS[code];
    this.expose = this.status < 500;
    this.details = details;
  }
}

/** True when `err` is an AppError with the given code (tests and callers switch on codes). */
export function isAppError(err: unknown, code?: ErrorCode): err is AppError {
  return err instanceof AppError && (code === undefined || err.code === code);
}
