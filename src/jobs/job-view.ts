import type { JobRow } from '../store/schema.js';
import type { JobState } from './job-types.js';

/** What the admin API shows of a job. The payload's sealed part is left out (it is opaque anyway). */
export interface JobView {
  id: string;
  kind: string;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  runAt: string;
  idempotencyKey: string | null;
  lockedBy: string | null;
  lockedUntil: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  doneAt: string | null;
  payload: unknown;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Shapes a row for the admin API. */
export function toJobView(row: JobRow): JobView {
  return {
    id: row.id,
    kind: row.kind,
    state: row.state,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAt: new Date(row.run_at).toISOString(),
    idempotencyKey: row.idempotency_key,
    lockedBy: row.locked_by,
    lockedUntil: iso(row.locked_until),
    lastError: row.last_error,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    doneAt: iso(row.done_at),
    payload: withoutSealed(row.payload),
  };
}

function withoutSealed(payload: string): unknown {
  try {
    const value: unknown = JSON.parse(payload);
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const { sealed: _sealed, ...rest } = value as Record<string, unknown>;
      return rest;
    }
    return value;
  } catch {
    return null;
  }
}
