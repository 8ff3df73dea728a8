import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import { newId } from '../crypto/random.js';
import type { LifecycleEvents } from '../lifecycle/lifecycle-events.js';
import { AppError } from '../shared/errors.js';
import type { Db } from '../store/open-store.js';
import { groupsRepo } from '../store/repos/groups.js';
import { usersRepo } from '../store/repos/users.js';
import { checkIfMatch } from './etag.js';
import { TRUE } from './field-sql.js';
import { filterToSql, sortToSql } from './filter-to-sql.js';
import {
  docFromGroup,
  type GroupInput,
  type GroupRow,
  groupFromDoc,
  type MemberView,
  renderGroup,
} from './group-resource.js';
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
import { GROUP_RESOURCE } from './scim-schemas.js';
import { GROUP_SQL } from './sql-maps.js';
import { uniquely } from './uniquely.js';

const BODY = { unknown: 'invalidValue' } as const;

/**
 * SCIM Groups over the groups table (displayName is the group's unique name). Members are
 * people; a change of members bumps the group's version. One transaction per request.
 */
export class ScimGroups implements ResourceOps {
  readonly rt = GROUP_RESOURCE;

  constructor(
    private readonly ctx: Context,
    private readonly baseUrl: string,
    private readonly lifecycle: LifecycleEvents,
  ) {}

  async get(id: string, projection: Projection): Promise<Stored> {
    checkIdShape(id, 'Group');
    const row = await groupsRepo.byId(this.ctx.store.db, id);
    if (!row) throw new AppError('NOT_FOUND', `no Group with id ${id}`);
    return this.stored(this.ctx.store.db, row, projection);
  }

  async list(req: ListRequest): Promise<ListResponse> {
    const db = this.ctx.store.db;
    const where = req.filter ? filterToSql(GROUP_SQL, req.filter) : TRUE;
    const orderBy = req.sortBy ? sortToSql(GROUP_SQL, req.sortBy.text, req.sortBy.path) : null;
    const total = await groupsRepo.count(db, where);
    const page = { where, orderBy, descending: req.descending, limit: req.count, offset: req.startIndex - 1 };
    const rows = req.count === 0 ? [] : await groupsRepo.page(db, page);
    const resources = [];
    for (const row of rows) resources.push((await this.stored(db, row, req.projection)).resource);
    return listResponse(total, req.startIndex, resources);
  }

  async create(actor: Actor, body: unknown): Promise<Stored> {
    const input = groupFromDoc(canonResource(GROUP_RESOURCE, body, BODY), true);
    const id = newId();
    return this.ctx.store.transaction(async (trx) => {
      await this.checkUnique(trx, input, null);
      const members = input.members ?? [];
      await this.checkMembers(trx, members);
      const now = this.ctx.clock.now();
      await uniquely(() =>
        groupsRepo.insert(trx, { id, name: input.name, external_id: input.external_id, created_at: now }),
      );
      await groupsRepo.addMembers(trx, id, members);
      await this.ctx.audit.append(trx, actor, {
        action: 'scim.group_created',
        subject: id,
        details: { displayName: input.name, externalId: input.external_id, added: members },
      });
      await this.lifecycle.onGroupMembershipChanged(trx, actor, {
        nameBefore: input.name,
        nameAfter: input.name,
        added: members,
        removed: [],
        kept: [],
      });
      return this.stored(trx, (await groupsRepo.byId(trx, id))!);
    });
  }

  async replace(actor: Actor, id: string, body: unknown, ifMatch?: string): Promise<Stored> {
    const input = groupFromDoc(canonResource(GROUP_RESOURCE, body, BODY), true);
    return this.ctx.store.transaction(async (trx) => {
      const row = await this.lock(trx, id, ifMatch);
      return this.write(trx, actor, row, await groupsRepo.liveMembers(trx, id), input, 'scim.group_replaced');
    });
  }

  async patch(actor: Actor, id: string, body: unknown, ifMatch?: string): Promise<Stored> {
    const ops = parsePatchRequest(body);
    return this.ctx.store.transaction(async (trx) => {
      const row = await this.lock(trx, id, ifMatch);
      const members = await groupsRepo.liveMembers(trx, id);
      const input = groupFromDoc(applyPatch(GROUP_RESOURCE, docFromGroup(row, members), ops), true);
      return this.write(trx, actor, row, members, input, 'scim.group_patched');
    });
  }

  async remove(actor: Actor, id: string, ifMatch?: string): Promise<void> {
    await this.ctx.store.transaction(async (trx) => {
      const row = await this.lock(trx, id, ifMatch);
      const members = await groupsRepo.liveMembers(trx, id);
      await groupsRepo.remove(trx, id);
      await this.ctx.audit.append(trx, actor, {
        action: 'scim.group_deleted',
        subject: id,
        details: { displayName: row.name, externalId: row.external_id, removed: members.map((m) => m.id) },
      });
      await this.lifecycle.onGroupMembershipChanged(trx, actor, {
        nameBefore: row.name,
        nameAfter: row.name,
        added: [],
        removed: members.map((m) => m.id),
        kept: [],
      });
    });
  }

  /** Applies a whole Group (PUT, or PATCH's result) to a locked row: name, externalId, members. */
  private async write(
    trx: Db,
    actor: Actor,
    row: GroupRow,
    current: readonly MemberView[],
    input: GroupInput,
    action: string,
  ): Promise<Stored> {
    const now = this.ctx.clock.now();
    const renamed = input.name !== row.name || input.external_id !== row.external_id;
    if (renamed) {
      await this.checkUnique(trx, input, row.id);
      await uniquely(() =>
        groupsRepo.update(trx, row.id, { name: input.name, external_id: input.external_id, now }),
      );
    }
    const before = new Set(current.map((m) => m.id));
    const after = new Set(input.members ?? before);
    const added = [...after].filter((m) => !before.has(m));
    const removed = [...before].filter((m) => !after.has(m));
    await this.checkMembers(trx, added);
    await groupsRepo.addMembers(trx, row.id, added);
    await groupsRepo.removeMembers(trx, row.id, removed);
    if (!renamed && (added.length > 0 || removed.length > 0)) await groupsRepo.touch(trx, row.id, now);
    if (renamed || added.length > 0 || removed.length > 0) {
      await this.ctx.audit.append(trx, actor, {
        action,
        subject: row.id,
        details: {
          ...(renamed ? { displayName: input.name, externalId: input.external_id } : {}),
          added,
          removed,
        },
      });
    }
    // The mover event for everyone whose groups changed (a rename changes every member's).
    await this.lifecycle.onGroupMembershipChanged(trx, actor, {
      nameBefore: row.name,
      nameAfter: input.name,
      added,
      removed,
      kept: [...before].filter((m) => after.has(m)),
    });
    return this.stored(trx, (await groupsRepo.byId(trx, row.id))!);
  }

  private async lock(trx: Db, id: string, ifMatch: string | undefined): Promise<GroupRow> {
    checkIdShape(id, 'Group');
    const row = await groupsRepo.byIdForUpdate(trx, id, this.ctx.store.caps.rowLocks);
    if (!row) throw new AppError('NOT_FOUND', `no Group with id ${id}`);
    checkIfMatch(ifMatch, row.version);
    return row;
  }

  /** displayName (case-insensitively) and externalId name one group each: 409 uniqueness. */
  private async checkUnique(trx: Db, input: GroupInput, self: string | null): Promise<void> {
    const byName = await groupsRepo.byName(trx, input.name);
    if (byName && byName.id !== self) throw scimError('uniqueness', `a Group named ${input.name} exists`);
    if (input.external_id === null) return;
    const byExt = await groupsRepo.byExternalId(trx, input.external_id);
    if (byExt && byExt.id !== self)
      throw scimError('uniqueness', `externalId ${input.external_id} is already taken`);
  }

  /** Every new member must be a live User (400 invalidValue naming the first that is not). */
  private async checkMembers(trx: Db, ids: readonly string[]): Promise<void> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      for (const u of await usersRepo.liveNames(trx, ids.slice(i, i + 500))) found.add(u.id);
    }
    const missing = ids.find((id) => !found.has(id));
    if (missing !== undefined) throw scimError('invalidValue', `member ${missing} is not a known User`);
  }

  private async stored(db: Db, row: GroupRow, projection: Projection = { mode: 'all' }): Promise<Stored> {
    const members = carries(projection, 'members') ? await groupsRepo.liveMembers(db, row.id) : undefined;
    const resource = project(projection, renderGroup(row, members, this.baseUrl));
    return { id: row.id, resource, version: row.version, location: `${this.baseUrl}/Groups/${row.id}` };
  }
}
