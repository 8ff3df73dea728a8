import type { InventoryRow } from '../../store/repos/inventory.js';
import type { AuthenticatorKind, AuthenticatorState } from '../authenticator-type.js';

/**
 * What the inventory API shows of a hardware token. Built field by field from a row that never
 * carries the sealed secret, so no read can leak a seed.
 */
export interface InventoryView {
  /** The authenticator id (for the lifecycle routes: revoke, lost, …). */
  id: string;
  serial: string;
  type: AuthenticatorKind;
  state: AuthenticatorState;
  /** Null while the token is unassigned. */
  userId: string | null;
  name: string | null;
  createdAt: string;
  lastUsedAt: string | null;
}

/** Shapes an inventory row for the API. */
export function toInventoryView(row: InventoryRow): InventoryView {
  return {
    id: row.id,
    // Inventory rows are selected by `serial IS NOT NULL`.
    serial: row.serial ?? '',
    type: row.type,
    state: row.state,
    userId: row.user_id,
    name: row.name,
    createdAt: new Date(row.created_at).toISOString(),
    lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at).toISOString(),
  };
}
