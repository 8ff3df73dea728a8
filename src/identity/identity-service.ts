import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import { hashPassword } from '../crypto/passwords.js';
import { newId } from '../crypto/random.js';
import { deactivate, type LeaverReceipt } from '../lifecycle/leaver.js';
import type { LifecycleEvents } from '../lifecycle/lifecycle-events.js';
import { AppError } from '../shared/errors.js';
import type { Db } from '../store/open-store.js';
import { groupsRepo } from '../store/repos/groups.js';
import { newUserRow, usersRepo } from '../store/repos/users.js';
import type { UserRow, UserUpdate } from '../store/schema.js';
import { isUniqueViolation } from '../store/unique-violation.js';
import {
  canMoveTo,
  type NewPerson,
  type PersonStatus,
  type PersonUpdate,
  type PersonView,
  toPersonView,
} from './person.js';

/** The column each changeable attribute of PersonUpdate writes. */
const COLUMNS = {
  username: 'username',
  email: 'email',
  displayName: 'display_name',
  externalId: 'external_id',
  startDate: 'start_date',
  managerId: 'manager_id',
} as const satisfies Record<keyof PersonUpdate, keyof UserRow>;

/** People and groups: create, read, change status. Every write is one transaction with its audit event. */
export class IdentityService {
  constructor(
    private readonly ctx: Context,
    private readonly lifecycle: LifecycleEvents,
  ) {}

  /** Creates a person (and any groups named that do not exist yet). */
  async create(actor: Actor, input: NewPerson): Promise<PersonView> {
    const passwordHash = input.password ? await hashPassword(input.password) : null;
    const now = this.ctx.clock.now();
    const id = newId();
    return this.ctx.store.transaction(async (trx) => {
      if (await usersRepo.byUsername(trx, input.username)) {
        throw new AppError('CONFLICT', `username ${input.username} is already taken`);
      }
      if (input.managerId && (await usersRepo.byId(trx, input.managerId))?.status !== 'active') {
        throw new AppError('VALIDATION_FAILED', `managerId ${input.managerId} is not an active person`);
      }
      try {
        await usersRepo.insert(
          trx,
          newUserRow({
            id,
            username: input.username,
            email: input.email,
            display_name: input.displayName,
            external_id: input.externalId,
            password_hash: passwordHash,
            created_at: now,
            start_date: input.startDate,
            manager_id: input.managerId,
          }),
        );
      } catch (err) {
        // A concurrent create of the same username or externalId lost the race on the unique index.
        if (!isUniqueViolation(err)) throw err;
        throw new AppError('CONFLICT', `username or externalId already exists`, { cause: String(err) });
      }
      for (const name of input.groups ?? []) await this.joinGroup(trx, id, name, now);
      await this.ctx.audit.append(trx, actor, {
        action: 'person.created',
        subject: id,
        details: { username: input.username, groups: input.groups ?? [] },
      });
      await this.lifecycle.onJoined(trx, actor, id);
      return toPersonView((await usersRepo.byId(trx, id))!, await groupsRepo.namesOf(trx, id));
    });
  }

  private async joinGroup(trx: Db, userId: string, name: string, now: number): Promise<void> {
    let group = await groupsRepo.byName(trx, name);
    if (!group) {
      await groupsRepo.insert(trx, { id: newId(), name, created_at: now });
      group = (await groupsRepo.byName(trx, name))!;
    }
    await groupsRepo.addMember(trx, group.id, userId);
  }

  /**
   * Changes a person's attributes (those given; null clears). Nothing changes on any error:
   * NOT_FOUND, CONFLICT for a username or externalId someone else has, VALIDATION_FAILED for a
   * manager who is not an active person (or the person themself). A changed start date moves
   * the open requirements' deadlines and reminders and the manager's day-one pass.
   */
  async update(actor: Actor, id: string, input: PersonUpdate): Promise<PersonView> {
    return this.ctx.store.transaction(async (trx) => {
      const row = await usersRepo.byId(trx, id);
      if (!row) throw new AppError('NOT_FOUND', `no person with id ${id}`);
      const changes = (Object.keys(COLUMNS) as (keyof PersonUpdate)[]).filter(
        (k) => input[k] !== undefined && (input[k] ?? null) !== row[COLUMNS[k]],
      );
      const update: UserUpdate = Object.fromEntries(changes.map((k) => [COLUMNS[k], input[k] ?? null]));
      if (input.username !== undefined && changes.includes('username')) {
        const holder = await usersRepo.byUsername(trx, input.username);
        if (holder && holder.id !== id)
          throw new AppError('CONFLICT', `username ${input.username} is already taken`);
        update.username_lower = input.username.toLowerCase();
      }
      if (input.externalId && changes.includes('externalId')) {
        const holder = await usersRepo.byExternalId(trx, input.externalId);
        if (holder && holder.id !== id)
          throw new AppError('CONFLICT', `externalId ${input.externalId} is already taken`);
      }
      if (input.managerId && changes.includes('managerId')) {
        if (input.managerId === id)
          throw new AppError('VALIDATION_FAILED', 'a person cannot be their own manager');
        if ((await usersRepo.byId(trx, input.managerId))?.status !== 'active') {
          throw new AppError('VALIDATION_FAILED', `managerId ${input.managerId} is not an active person`);
        }
      }
      if (changes.length > 0) {
        try {
          await usersRepo.update(trx, id, { ...update, updated_at: this.ctx.clock.now() });
        } catch (err) {
          // A concurrent change took the username or externalId first (the unique index).
          if (!isUniqueViolation(err)) throw err;
          throw new AppError('CONFLICT', 'username or externalId already exists', { cause: String(err) });
        }
        await this.ctx.audit.append(trx, actor, {
          action: 'person.updated',
          subject: id,
          details: { changed: changes, source: 'api' },
        });
        if (changes.includes('startDate')) await this.lifecycle.onStartDateChanged(trx, actor, id);
      }
      return toPersonView((await usersRepo.byId(trx, id))!, await groupsRepo.namesOf(trx, id));
    });
  }

  /** One person, or NOT_FOUND. */
  async get(id: string): Promise<PersonView> {
    const row = await usersRepo.byId(this.ctx.store.db, id);
    if (!row) throw new AppError('NOT_FOUND', `no person with id ${id}`);
    return toPersonView(row, await groupsRepo.namesOf(this.ctx.store.db, id));
  }

  /** The raw row by username (case-insensitive), for services that verify credentials. */
  findByUsername(username: string): Promise<UserRow | undefined> {
    return usersRepo.byUsername(this.ctx.store.db, username);
  }

  /** A page of people, by username. */
  async list(opts: {
    limit: number;
    offset: number;
    search?: string;
  }): Promise<{ total: number; people: PersonView[] }> {
    const db = this.ctx.store.db;
    const rows = await usersRepo.list(db, opts);
    const people = await Promise.all(
      rows.map(async (r) => toPersonView(r, await groupsRepo.namesOf(db, r.id))),
    );
    return { total: await usersRepo.count(db), people };
  }

  /** Moves a person to a new lifecycle status. */
  async setStatus(actor: Actor, id: string, status: PersonStatus, reason?: string): Promise<PersonView> {
    return this.ctx.store.transaction(async (trx) => {
      const row = await usersRepo.byId(trx, id);
      if (!row) throw new AppError('NOT_FOUND', `no person with id ${id}`);
      if (!canMoveTo(row.status, status)) {
        throw new AppError('INVALID_STATE', `a ${row.status} person cannot become ${status}`);
      }
      if (status === 'deprovisioned' && row.status !== status) {
        // Deprovisioning is the leaver event, whichever face asks for it.
        await deactivate(trx, this.ctx, id, actor, reason ?? null);
      } else if (row.status !== status) {
        await usersRepo.update(trx, id, { status, updated_at: this.ctx.clock.now() });
        await this.ctx.audit.append(trx, actor, {
          action: 'person.status_changed',
          subject: id,
          details: { from: row.status, to: status, reason: reason ?? null },
        });
        // A rehire: the leaver revoked every factor, so they join afresh.
        if (row.status === 'deprovisioned') await this.lifecycle.onJoined(trx, actor, id);
      }
      return toPersonView((await usersRepo.byId(trx, id))!, await groupsRepo.namesOf(trx, id));
    });
  }

  /** The leaver event in a transaction of its own (see lifecycle/leaver.ts). */
  async deactivate(actor: Actor, id: string, reason?: string): Promise<LeaverReceipt> {
    return this.ctx.store.transaction((trx) => deactivate(trx, this.ctx, id, actor, reason ?? null));
  }

  /** Sets a person's sign-in password (argon2id). */
  async setPassword(actor: Actor, id: string, password: string): Promise<void> {
    const hash = await hashPassword(password);
    await this.ctx.store.transaction(async (trx) => {
      if (!(await usersRepo.byId(trx, id))) throw new AppError('NOT_FOUND', `no person with id ${id}`);
      await usersRepo.update(trx, id, { password_hash: hash, updated_at: this.ctx.clock.now() });
      await this.ctx.audit.append(trx, actor, { action: 'person.password_set', subject: id });
    });
  }

  /** Every group with its member count. */
  async listGroups(): Promise<Array<{ id: string; name: string; members: number }>> {
    const db = this.ctx.store.db;
    const groups = await groupsRepo.list(db);
    return Promise.all(
      groups.map(async (g) => ({
        id: g.id,
        name: g.name,
        members: (await groupsRepo.memberIds(db, g.id)).length,
      })),
    );
  }
}
