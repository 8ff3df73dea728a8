import type { Actor } from '../../audit/audit-log.js';
import type { Context } from '../../context.js';
import { newId } from '../../crypto/random.js';
import { AppError } from '../../shared/errors.js';
import type { Db } from '../../store/open-store.js';
import { type InventoryFilter, type InventoryRow, inventoryRepo } from '../../store/repos/inventory.js';
import type { NewAuthenticatorRow } from '../../store/schema.js';
import { isUniqueViolation } from '../../store/unique-violation.js';
import { otpParamsSchema } from '../otp/index.js';
import { HOTP_LOOK_AHEAD } from '../types/hotp.js';
import { type InventoryView, toInventoryView } from './inventory-view.js';
import type { PskcToken } from './read-pskc.js';

/** Longest serial the inventory holds (the routes take it as a path parameter of at most 64). */
export const MAX_SERIAL_LENGTH = 64;

/** Highest HOTP counter we store: the look-ahead window above it stays within safe integers. */
const MAX_HOTP_COUNTER = Number.MAX_SAFE_INTEGER - 2 * (HOTP_LOOK_AHEAD + 1);

/** States from which a token is never handed out again. */
const OUT_OF_SERVICE = new Set(['revoked', 'lost']);

export interface ImportResult {
  imported: number;
  serials: string[];
}

/**
 * The params a stored row carries. They must pass the same schema the OTP types check codes
 * with, or the row would break validation for whoever holds the token: a token the reader
 * accepts but we cannot verify (7 digits, a 10 s period) is refused here, before anything is written.
 */
function storedParams(token: PskcToken): Record<string, unknown> {
  const parsed = otpParamsSchema.safeParse({
    algorithm: token.algorithm,
    digits: token.digits,
    period: token.type === 'totp' ? token.period : undefined,
  });
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ');
    throw new AppError(
      'PSKC_INVALID',
      `serial ${token.serial}: parameters this server cannot verify (${why})`,
    );
  }
  const { algorithm, digits, period } = parsed.data;
  return token.type === 'totp' ? { algorithm, digits, period } : { algorithm, digits };
}

/** Checks what the reader does not: what the store and the routes need of a token. */
function checkStorable(token: PskcToken): void {
  if (token.serial.length === 0 || token.serial.length > MAX_SERIAL_LENGTH) {
    throw new AppError(
      'PSKC_INVALID',
      `serial ${token.serial.slice(0, MAX_SERIAL_LENGTH)}…: serials must be 1 to ${MAX_SERIAL_LENGTH} characters`,
    );
  }
  if (token.type === 'hotp' && (token.counter ?? 0) > MAX_HOTP_COUNTER) {
    throw new AppError('PSKC_INVALID', `serial ${token.serial}: counter ${token.counter} is out of range`);
  }
}

/** The name an imported token shows: its FriendlyName, else manufacturer and model. */
function displayName(token: PskcToken): string | null {
  if (token.friendlyName) return token.friendlyName;
  const parts = [token.manufacturer, token.model].filter((p): p is string => !!p);
  return parts.length > 0 ? parts.join(' ') : null;
}

/**
 * The hardware-token inventory: import (PSKC), list, bind to a person, return to the shelf.
 * Every write is one transaction with its audit event.
 */
export class InventoryService {
  constructor(private readonly ctx: Context) {}

  /**
   * Imports tokens, all or nothing: if any serial is already held, or any token cannot be stored,
   * nothing is written. Seeds are sealed with the aad `authenticator:<id>`, as every OTP secret.
   */
  async importTokens(actor: Actor, tokens: readonly PskcToken[], source: string): Promise<ImportResult> {
    if (tokens.length === 0) throw new AppError('PSKC_INVALID', 'the file holds no tokens to import');
    const now = this.ctx.clock.now();
    // Pure checks and sealing happen before the transaction opens (SQLite holds the write lock).
    const rows = tokens.map((token) => this.toRow(token, now));
    const serials = tokens.map((t) => t.serial);
    const seen = new Set<string>();
    const repeated: string[] = [];
    for (const s of serials) {
      if (seen.has(s)) repeated.push(s);
      seen.add(s);
    }
    if (repeated.length > 0) throw duplicates('serials repeated in the import', repeated);
    await this.ctx.store.transaction(async (trx) => {
      const held = await inventoryRepo.existingSerials(trx, serials);
      if (held.length > 0) throw duplicates('serials already in the inventory', held);
      try {
        await inventoryRepo.insertMany(trx, rows);
      } catch (err) {
        // Another import took one of these serials between our check and our insert.
        if (isUniqueViolation(err)) {
          throw new AppError('PSKC_DUPLICATE_SERIAL', 'another import added some of these serials meanwhile');
        }
        throw err;
      }
      await this.ctx.audit.append(trx, actor, {
        action: 'inventory.imported',
        details: { count: rows.length, serials, source },
      });
    });
    return { imported: rows.length, serials };
  }

  private toRow(token: PskcToken, now: number): NewAuthenticatorRow {
    checkStorable(token);
    const params = storedParams(token);
    const id = newId();
    return {
      id,
      user_id: null,
      type: token.type,
      state: 'pending',
      name: displayName(token),
      serial: token.serial,
      // THE aad is shared with the validation service, which opens the seed with it.
      secret_enc: this.ctx.keyring.encrypt(token.secret, `authenticator:${id}`),
      params: JSON.stringify(params),
      // TOTP: the last accepted step (none yet). HOTP: the next expected counter.
      counter: token.type === 'totp' ? null : (token.counter ?? 0),
      created_at: now,
      updated_at: now,
      activated_at: null,
      last_used_at: null,
      expires_at: null,
      state_reason: null,
    };
  }

  /** The inventory, by serial, optionally filtered by state and by whether tokens are bound. */
  async list(filter: InventoryFilter = {}): Promise<InventoryView[]> {
    return (await inventoryRepo.list(this.ctx.store.db, filter)).map(toInventoryView);
  }

  /**
   * Binds an unassigned token to an active person. It stays `pending` until its first accepted
   * code (staged activation). Of two concurrent binds of one token, exactly one wins.
   */
  async assign(actor: Actor, serial: string, userId: string): Promise<InventoryView> {
    const { store, clock } = this.ctx;
    return store.transaction(async (trx) => {
      const token = usableToken(await inventoryRepo.bySerial(trx, serial), serial);
      if (token.user_id !== null) throw new AppError('INVALID_STATE', `token ${serial} is already assigned`);
      const person = await inventoryRepo.personStatusForUpdate(trx, userId, store.caps.rowLocks);
      if (!person) throw new AppError('NOT_FOUND', `no person with id ${userId}`);
      if (person.status !== 'active') {
        throw new AppError(
          'INVALID_STATE',
          `person ${userId} is ${person.status}; tokens go to active people only`,
        );
      }
      if (!(await inventoryRepo.assign(trx, serial, userId, clock.now()))) {
        throw new AppError('INVALID_STATE', `token ${serial} was assigned or withdrawn meanwhile`);
      }
      await this.ctx.audit.append(trx, actor, {
        action: 'inventory.assigned',
        subject: userId,
        details: { serial, authenticatorId: token.id },
      });
      return toInventoryView((await inventoryRepo.bySerial(trx, serial))!);
    });
  }

  /**
   * Binds the first unassigned token (of `type` when given) to a person inside the caller's
   * transaction (a joiner rule binds one in advance; it stays `pending` until its first code).
   * A token another request binds meanwhile is skipped. Returns its serial, or null when the
   * shelf is empty.
   */
  async bindFirstAvailable(
    trx: Db,
    actor: Actor,
    userId: string,
    type: 'totp' | 'hotp' | null,
  ): Promise<string | null> {
    for (const serial of await inventoryRepo.availableSerials(trx, type, 5)) {
      if (!(await inventoryRepo.assign(trx, serial, userId, this.ctx.clock.now()))) continue;
      const token = (await inventoryRepo.bySerial(trx, serial))!;
      await this.ctx.audit.append(trx, actor, {
        action: 'inventory.assigned',
        subject: userId,
        details: { serial, authenticatorId: token.id, by: 'lifecycle rule' },
      });
      return serial;
    }
    return null;
  }

  /**
   * Returns a token to the shelf ("return to inventory"): unbound and `pending` again, its
   * counter untouched so no code it ever produced works again. Lost and revoked tokens stay out.
   */
  async unassign(actor: Actor, serial: string, reason?: string): Promise<InventoryView> {
    return this.ctx.store.transaction(async (trx) => {
      const token = usableToken(await inventoryRepo.bySerial(trx, serial), serial);
      const holder = token.user_id;
      if (holder === null) throw new AppError('INVALID_STATE', `token ${serial} is not assigned`);
      const stateReason = reason ?? 'returned to inventory';
      if (!(await inventoryRepo.returnToShelf(trx, serial, holder, stateReason, this.ctx.clock.now()))) {
        throw new AppError('INVALID_STATE', `token ${serial} was returned or withdrawn meanwhile`);
      }
      await this.ctx.audit.append(trx, actor, {
        action: 'inventory.returned',
        subject: holder,
        details: { serial, authenticatorId: token.id, reason: reason ?? null },
      });
      return toInventoryView((await inventoryRepo.bySerial(trx, serial))!);
    });
  }
}

/** The token, or NOT_FOUND; INVALID_STATE when it is lost or revoked (never handed out again). */
function usableToken(token: InventoryRow | undefined, serial: string): InventoryRow {
  if (!token) throw new AppError('NOT_FOUND', `no hardware token with serial ${serial}`);
  if (OUT_OF_SERVICE.has(token.state)) {
    throw new AppError('INVALID_STATE', `token ${serial} is ${token.state} and cannot be handed out again`);
  }
  return token;
}

/** PSKC_DUPLICATE_SERIAL naming the serials (the first 20 in the message, all in the details). */
function duplicates(what: string, serials: string[]): AppError {
  const shown = serials.slice(0, 20).join(', ');
  const more = serials.length > 20 ? ` and ${serials.length - 20} more` : '';
  return new AppError('PSKC_DUPLICATE_SERIAL', `${what}: ${shown}${more}`, { serials });
}
