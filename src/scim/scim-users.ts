import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import { hashPassword } from '../crypto/passwords.js';
import { newId } from '../crypto/random.js';
import { deactivate } from '../lifecycle/leaver.js';
import type { LifecycleEvents } from '../lifecycle/lifecycle-events.js';
import { AppError } from '../shared/errors.js';
import type { Db } from '../store/open-store.js';
import { groupsRepo } from '../store/repos/groups.js';
import { newUserRow, usersRepo } from '../store/repos/users.js';
import type { UserRow, UserUpdate } from '../store/schema.js';
import { checkIfMatch } from './etag.js';
import { TRUE } from './field-sql.js';
import { filterToSql, sortToSql } from './filter-to-sql.js';
import type { ListRequest } from './list-request.js';
import { applyPatch } from './patch.js';
import { parsePatchRequest } from './patch-request.js';
import { carries, type Projection, project } from './projection.js';
import { canonResource } from './resource-doc.js';
import {
  checkIdShape,
  type ListResponse,
  listResponse,
  type ResourceOps,
  type Stored,
} from './resource-ops.js';
import { scimError } from './scim-errors.js';
import { USER_RESOURCE } from './scim-schemas.js';
import { USER_SQL } from './sql-maps.js';
import { uniquely } from './uniquely.js';
import { docFromUser, renderUser, type UserFields, type UserInput, userFromDoc } from './user-resource.js';

const BODY = { unknown: 'invalidValue' } as const;
const FIELDS: readonly (keyof UserFields)[] = [
  'username',
  'external_id',
  'display_name',
  'given_name',
  'family_name',
  'title',
  'email',
  'employee_number',
  'department',
  'manager_id',
  'start_date',
];

/**
 * SCIM Users over the people table: one transaction per request with its audit event.
 * `active: false` runs the leaver in that same transaction; DELETE runs it, then hides the row.
 */
export class ScimUsers implements ResourceOps {
  readonly rt = USER_RESOURCE;

  constructor(
    private readonly ctx: Context,
    private readonly baseUrl: string,
    private readonly lifecycle: LifecycleEvents,
  ) {}

  async get(id: string, projection: Projection): Promise<Stored> {
    checkIdShape(id, 'User');
    const row = await usersRepo.liveByIdForUpdate(this.ctx.store.db, id, false);
    if (!row) throw new AppError('NOT_FOUND', `no User with id ${id}`);
    return this.stored(this.ctx.store.db, row, projection);
  }

  async list(req: ListRequest): Promise<ListResponse> {
    const db = this.ctx.store.db;
    const where = req.filter ? filterToSql(USER_SQL, req.filter) : TRUE;
    const orderBy = req.sortBy ? sortToSql(USER_SQL, req.sortBy.text, req.sortBy.path) : null;
    const total = await usersRepo.liveCount(db, where);
    const page = { where, orderBy, descending: req.descending, limit: req.count, offset: req.startIndex - 1 };
    const rows = req.count === 0 ? [] : await usersRepo.livePage(db, page);
    return listResponse(total, req.startIndex, await this.render(db, rows, req.projection));
  }

  async create(actor: Actor, body: unknown): Promise<Stored> {
    const input = userFromDoc(canonResource(USER_RESOURCE, body, BODY));
    // Hashing happens before the transaction: SQLite holds its write lock for the whole of it.
    const hash = input.password ? await hashPassword(input.password) : null;
    const id = newId();
    return this.ctx.store.transaction(async (trx) => {
      const now = this.ctx.clock.now();
      await this.checkUnique(trx, input.fields, null);
      await this.checkManager(trx, input.fields.manager_id, id);
      const status = input.active === false ? 'deprovisioned' : 'active';
      await uniquely(() =>
        usersRepo.insert(
          trx,
          newUserRow({ id, ...input.fields, status, password_hash: hash, created_at: now }),
        ),
      );
      await this.ctx.audit.append(trx, actor, {
        action: 'scim.user_created',
        subject: id,
        details: {
          userName: input.fields.username,
          externalId: input.fields.external_id,
          status,
          passwordSet: hash !== null,
        },
      });
      // The joiner event (a person created inactive joins when activated).
      if (status === 'active') await this.lifecycle.onJoined(trx, actor, id);
      return this.stored(trx, (await usersRepo.byId(trx, id))!);
    });
  }

  async replace(actor: Actor, id: string, body: unknown, ifMatch?: string): Promise<Stored> {
    const input = userFromDoc(canonResource(USER_RESOURCE, body, BODY));
    const hash = input.password ? await hashPassword(input.password) : undefined;
    return this.ctx.store.transaction(async (trx) => {
      const row = await this.lockLive(trx, id, ifMatch);
      return this.write(trx, actor, row, input, hash, 'scim.user_replaced');
    });
  }

  async patch(actor: Actor, id: string, body: unknown, ifMatch?: string): Promise<Stored> {
    const ops = parsePatchRequest(body);
    checkIdShape(id, 'User');
    // A dry run outside the transaction: bad operations fail before any lock, and a password
    // is hashed without holding SQLite's write lock. The operations alone decide the password.
    const current = await usersRepo.liveByIdForUpdate(this.ctx.store.db, id, false);
    if (!current) throw new AppError('NOT_FOUND', `no User with id ${id}`);
    const preview = userFromDoc(applyPatch(USER_RESOURCE, docFromUser(current), ops));
    const hash = preview.password ? await hashPassword(preview.password) : undefined;
    return this.ctx.store.transaction(async (trx) => {
      const row = await this.lockLive(trx, id, ifMatch);
      const input =
        row.version === current.version
          ? preview
          : userFromDoc(applyPatch(USER_RESOURCE, docFromUser(row), ops));
      return this.write(trx, actor, row, input, hash, 'scim.user_patched');
    });
  }

  async remove(actor: Actor, id: string, ifMatch?: string): Promise<void> {
    await this.ctx.store.transaction(async (trx) => {
      const row = await this.lockLive(trx, id, ifMatch);
      const now = this.ctx.clock.now();
      await deactivate(trx, this.ctx, id, actor, 'deleted');
      const groups = await groupsRepo.leaveAll(trx, id);
      for (const g of groups) await groupsRepo.touch(trx, g, now);
      await usersRepo.markDeleted(trx, id, now);
      await this.ctx.audit.append(trx, actor, {
        action: 'scim.user_deleted',
        subject: id,
        details: { userName: row.username, externalId: row.external_id, leftGroups: groups },
      });
    });
  }

  /** Applies a full set of attributes (PUT, or PATCH's result) to a locked row, with its audit. */
  private async write(
    trx: Db,
    actor: Actor,
    row: UserRow,
    input: UserInput,
    hash: string | undefined,
    action: string,
  ): Promise<Stored> {
    const changed = FIELDS.filter((f) => input.fields[f] !== row[f]);
    if (changed.includes('username') || changed.includes('external_id'))
      await this.checkUnique(trx, input.fields, row.id);
    if (changed.includes('manager_id')) await this.checkManager(trx, input.fields.manager_id, row.id);
    const update: UserUpdate = Object.fromEntries(changed.map((f) => [f, input.fields[f]]));
    if (changed.includes('username')) update.username_lower = input.fields.username.toLowerCase();
    if (hash !== undefined) update.password_hash = hash;
    const reactivate = input.active === true && row.status === 'deprovisioned';
    // Reactivation brings no factor back: the leaver revoked them for good.
    if (reactivate) update.status = 'active';
    if (Object.keys(update).length > 0) {
      await uniquely(() => usersRepo.update(trx, row.id, { ...update, updated_at: this.ctx.clock.now() }));
      await this.ctx.audit.append(trx, actor, {
        action,
        subject: row.id,
        details: {
          changed: [...changed, ...(hash !== undefined ? ['password'] : [])],
          ...(reactivate ? { status: { from: row.status, to: 'active' } } : {}),
        },
      });
    }
    if (input.active === false && row.status !== 'deprovisioned')
      await deactivate(trx, this.ctx, row.id, actor, 'scim');
    // Deadlines, reminders and the manager's day-one pass move with the start date.
    else if (changed.includes('start_date') && !reactivate)
      await this.lifecycle.onStartDateChanged(trx, actor, row.id);
    // A rehire joins afresh: the leaver revoked every factor.
    if (reactivate) await this.lifecycle.onJoined(trx, actor, row.id);
    return this.stored(trx, (await usersRepo.byId(trx, row.id))!);
  }

  /** The live row, locked; 404 when absent or deleted, 412 when If-Match names another version. */
  private async lockLive(trx: Db, id: string, ifMatch: string | undefined): Promise<UserRow> {
    checkIdShape(id, 'User');
    const row = await usersRepo.liveByIdForUpdate(trx, id, this.ctx.store.caps.rowLocks);
    if (!row) throw new AppError('NOT_FOUND', `no User with id ${id}`);
    checkIfMatch(ifMatch, row.version);
    return row;
  }

  /** userName (case-insensitively) and externalId belong to one person each: 409 uniqueness. */
  private async checkUnique(trx: Db, f: UserFields, self: string | null): Promise<void> {
    const byName = await usersRepo.byUsername(trx, f.username);
    if (byName && byName.id !== self)
      throw scimError('uniqueness', `userName ${f.username} is already taken`);
    if (f.external_id === null) return;
    const byExt = await usersRepo.byExternalId(trx, f.external_id);
    if (byExt && byExt.id !== self)
      throw scimError('uniqueness', `externalId ${f.external_id} is already taken`);
  }

  private async checkManager(trx: Db, managerId: string | null, self: string): Promise<void> {
    if (managerId === null) return;
    if (managerId === self) throw scimError('invalidValue', 'a User cannot be their own manager');
    if ((await usersRepo.liveNames(trx, [managerId])).length === 0) {
      throw scimError('invalidValue', `manager ${managerId} is not a known User`);
    }
  }

  private async stored(db: Db, row: UserRow, projection: Projection = { mode: 'all' }): Promise<Stored> {
    const [resource] = await this.render(db, [row], projection);
    return {
      id: row.id,
      resource: resource!,
      version: row.version,
      location: `${this.baseUrl}/Users/${row.id}`,
    };
  }

  /** Rows as SCIM Users: one query for all their groups, one for all their managers. */
  private async render(db: Db, rows: UserRow[], projection: Projection) {
    const ids = rows.map((r) => r.id);
    const memberships = carries(projection, 'groups') ? await groupsRepo.membershipsOf(db, ids) : [];
    const managerIds = [...new Set(rows.map((r) => r.manager_id).filter((m): m is string => m !== null))];
    const managers = new Map(
      (await usersRepo.liveNames(db, managerIds)).map((m) => [m.id, m.display_name ?? m.username]),
    );
    return rows.map((r) =>
      project(
        projection,
        renderUser(r, {
          baseUrl: this.baseUrl,
          groups: memberships.filter((m) => m.user_id === r.id).map((m) => ({ id: m.id, name: m.name })),
          managerName: r.manager_id ? (managers.get(r.manager_id) ?? null) : null,
        }),
      ),
    );
  }
}
