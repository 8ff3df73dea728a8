import type { PolicyExceptionRow, PolicyRow } from '../store/schema.js';
import { type Policy, type PolicyException, rulesSchema, waivesSchema } from './policy-model.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** A policy row as the evaluator and the API see it. */
export function toPolicy(row: PolicyRow): Policy {
  return {
    id: row.id,
    name: row.name,
    targetKind: row.target_kind,
    target: row.target,
    rules: rulesSchema.parse(JSON.parse(row.rules)),
    priority: row.priority,
    override: row.override === 1,
    enabled: row.enabled === 1,
    version: row.version,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** An exception row as the evaluator sees it. */
export function toPolicyException(row: PolicyExceptionRow): PolicyException {
  return {
    id: row.id,
    userId: row.user_id,
    groupName: row.group_name,
    waives: waivesSchema.parse(JSON.parse(row.waives)),
    owner: row.owner,
    startsAt: row.starts_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

/** An exception as the API shows it, with its status at `now`. */
export function toExceptionView(row: PolicyExceptionRow, now: number) {
  const status =
    row.revoked_at !== null
      ? 'revoked'
      : row.expires_at <= now
        ? row.expired_at === null
          ? 'overdue'
          : 'expired'
        : row.starts_at > now
          ? 'scheduled'
          : 'active';
  return {
    id: row.id,
    userId: row.user_id,
    groupName: row.group_name,
    waives: JSON.parse(row.waives) as Record<string, unknown>,
    owner: row.owner,
    reason: row.reason,
    ticket: row.ticket,
    startsAt: iso(row.starts_at),
    expiresAt: iso(row.expires_at),
    grantedBy: row.granted_by,
    createdAt: iso(row.created_at),
    revokedAt: row.revoked_at === null ? null : iso(row.revoked_at),
    status,
    notified7dAt: row.notified_7d_at === null ? null : iso(row.notified_7d_at),
    notified1dAt: row.notified_1d_at === null ? null : iso(row.notified_1d_at),
  };
}
export type ExceptionView = ReturnType<typeof toExceptionView>;
