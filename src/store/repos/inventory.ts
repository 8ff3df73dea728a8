import type { Db } from '../open-store.js';
import type { AuthenticatorRow, NewAuthenticatorRow } from '../schema.js';

/** What the inventory shows of a hardware token: never `secret_enc`, `params` or `counter`. */
export type InventoryRow = Pick<
  AuthenticatorRow,
  'id' | 'serial' | 'type' | 'state' | 'user_id' | 'name' | 'created_at' | 'last_used_at'
>;

export interface InventoryFilter {
  state?: AuthenticatorRow['state'];
  /** true: bound to a person; false: on the shelf. */
  assigned?: boolean;
}

/** Keeps every statement well under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 200;

const INVENTORY_COLUMNS = [
  'id',
  'serial',
  'type',
  'state',
  'user_id',
  'name',
  'created_at',
  'last_used_at',
] as const;

/** States from which a token can never be handed out again (a lost device may have been copied). */
const OUT_OF_SERVICE: readonly AuthenticatorRow['state'][] = ['revoked', 'lost'];

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/**
 * Hardware tokens: the rows of `authenticators` with a `serial`. `user_id` is null while a token
 * sits unassigned. Binding and returning are conditional UPDATEs (compare-and-set on `user_id`),
 * so two concurrent requests cannot both bind one token, on any number of instances.
 */
export const inventoryRepo = {
  /** Which of `serials` are already held (by any row, whatever its state). */
  async existingSerials(db: Db, serials: readonly string[]): Promise<string[]> {
    const found: string[] = [];
    for (const part of chunks(serials)) {
      const rows = await db
        .selectFrom('authenticators')
        .select('serial')
        .where('serial', 'in', part)
        .execute();
      for (const r of rows) if (r.serial !== null) found.push(r.serial);
    }
    return found;
  },

  /** Inserts imported tokens; a unique-serial race with another import throws (see store/unique-violation.ts). */
  async insertMany(db: Db, rows: readonly NewAuthenticatorRow[]): Promise<void> {
    for (const part of chunks(rows)) await db.insertInto('authenticators').values(part).execute();
  },

  /** The inventory, by serial. */
  list(db: Db, filter: InventoryFilter = {}): Promise<InventoryRow[]> {
    let q = db.selectFrom('authenticators').select(INVENTORY_COLUMNS).where('serial', 'is not', null);
    if (filter.state !== undefined) q = q.where('state', '=', filter.state);
    if (filter.assigned === true) q = q.where('user_id', 'is not', null);
    if (filter.assigned === false) q = q.where('user_id', 'is', null);
    return q.orderBy('serial').execute();
  },

  bySerial(db: Db, serial: string): Promise<InventoryRow | undefined> {
    return db
      .selectFrom('authenticators')
      .select(INVENTORY_COLUMNS)
      .where('serial', '=', serial)
      .executeTakeFirst();
  },

  /**
   * Binds an unassigned, usable token to a person; it starts `pending` (active at first use).
   * False when it was bound, revoked or lost meanwhile.
   */
  async assign(db: Db, serial: string, userId: string, now: number): Promise<boolean> {
    const r = await db
      .updateTable('authenticators')
      .set({ user_id: userId, state: 'pending', state_reason: null, updated_at: now })
      .where('serial', '=', serial)
      .where('user_id', 'is', null)
      .where('state', 'not in', OUT_OF_SERVICE)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /**
   * Returns a token from `fromUserId` to the shelf, `pending` again. The counter is left as it
   * is: a code once accepted must never be accepted again, whoever holds the token next.
   * False when it was returned, rebound, revoked or lost meanwhile.
   */
  async returnToShelf(
    db: Db,
    serial: string,
    fromUserId: string,
    reason: string | null,
    now: number,
  ): Promise<boolean> {
    const r = await db
      .updateTable('authenticators')
      .set({ user_id: null, state: 'pending', state_reason: reason, activated_at: null, updated_at: now })
      .where('serial', '=', serial)
      .where('user_id', '=', fromUserId)
      .where('state', 'not in', OUT_OF_SERVICE)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /**
   * A person's status, read inside the binding transaction. On PostgreSQL the row is locked, so
   * a concurrent leaver either sees the binding (and sweeps it) or the binding sees the leaver.
   */
  personStatusForUpdate(db: Db, userId: string, rowLocks: boolean) {
    const q = db.selectFrom('users').select(['id', 'status']).where('id', '=', userId);
    return (rowLocks ? q.forUpdate() : q).executeTakeFirst();
  },

  /**
   * Returns every usable hardware token a person holds to the shelf (the leaver), as
   * `returnToShelf` does one; lost and revoked ones stay bound (the leaver revokes them).
   */
  returnAllOfUser(db: Db, userId: string, reason: string, now: number) {
    return db
      .updateTable('authenticators')
      .set({ user_id: null, state: 'pending', state_reason: reason, activated_at: null, updated_at: now })
      .where('user_id', '=', userId)
      .where('serial', 'is not', null)
      .where('state', 'not in', OUT_OF_SERVICE)
      .returning(['id', 'serial'])
      .execute();
  },
  /** Serials of unassigned, usable tokens (of one type when given), first by serial: what to bind next. */
  async availableSerials(db: Db, type: 'totp' | 'hotp' | null, limit: number): Promise<string[]> {
    let q = db
      .selectFrom('authenticators')
      .select('serial')
      .where('serial', 'is not', null)
      .where('user_id', 'is', null)
      .where('state', 'not in', OUT_OF_SERVICE);
    if (type !== null) q = q.where('type', '=', type);
    const rows = await q.orderBy('serial').limit(limit).execute();
    return rows.flatMap((r) => (r.serial === null ? [] : [r.serial]));
  },
};
