import { AppError } from '../shared/errors.js';
import { ACCOUNT_CLIENT_ID } from './account-client.js';
import { CONSOLE_CLIENT_ID } from './console-client.js';

/** The built-in first-party clients' ids: no registered client may take one, as id or as name. */
export const RESERVED_CLIENT_IDS: readonly string[] = [CONSOLE_CLIENT_ID, ACCOUNT_CLIENT_ID];

function reserved(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim().toLowerCase();
  return RESERVED_CLIENT_IDS.find((id) => id === v);
}

/**
 * Refuses (409) a registration that would take a built-in client's id: a client id asked for in
 * the body (ids are otherwise generated, and an unknown field is refused anyway), or a name that
 * is one, which the sign-in and consent pages would show as if it were the built-in client.
 */
export function refuseReservedClient(body: unknown): void {
  if (!body || typeof body !== 'object') return;
  const b = body as Record<string, unknown>;
  const id = reserved(b.clientId) ?? reserved(b.client_id);
  if (id) throw new AppError('CONFLICT', `the client id ${id} is reserved for a built-in client`);
  const name = reserved(b.name);
  if (name) throw new AppError('CONFLICT', `the name ${name} is reserved for a built-in client`);
}
