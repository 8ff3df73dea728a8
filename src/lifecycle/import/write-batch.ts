import type { Actor, AuditEntry } from '../../audit/audit-log.js';
import type { Context } from '../../context.js';
import { newId } from '../../crypto/random.js';
import type { Db } from '../../store/open-store.js';
import { groupsRepo } from '../../store/repos/groups.js';
import { newUserRow, usersRepo } from '../../store/repos/users.js';
import type { NewUserRow, UserUpdate } from '../../store/schema.js';
import type { Joined, LifecycleEvents } from '../lifecycle-events.js';
import { loadRules } from '../rule-service.js';
import type { PlanEntry } from './plan-import.js';
import { recheckPlan } from './recheck-plan.js';

/** What carries from one batch to the next: who exists by now, and manager links waiting for their manager. */
export interface ImportState {
  /** Ids of every person the whole import creates. */
  toCreate: ReadonlySet<string>;
  /** Of those, the ones committed so far. */
  created: Set<string>;
  /** Manager id → the people whose manager it is, written once that manager is created. */
  waiting: Map<string, string[]>;
}

/** What one batch wrote. */
export interface BatchOutcome {
  created: number;
  updated: number;
  requirementsOpened: number;
}

const lower = (s: string) => s.toLowerCase();

/** The manager id to write now; undefined (leave) or null while the manager comes in a later batch (it waits). */
function managerNow(
  e: PlanEntry,
  inBatch: ReadonlySet<string>,
  state: ImportState,
): string | null | undefined {
  const m = e.changes.find((c) => c.field === 'manager_id');
  if (!m) return undefined;
  const id = m.to;
  if (id === null || !state.toCreate.has(id) || state.created.has(id) || inBatch.has(id)) return id;
  state.waiting.set(id, [...(state.waiting.get(id) ?? []), e.id]);
  return e.existing ? undefined : null;
}

/** Group ids by lower-case name for every group the batch names, creating the missing ones. */
async function groupIds(trx: Db, batch: readonly PlanEntry[], now: number): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const e of batch) for (const g of [...e.groupsAdded, ...e.groupsRemoved]) names.set(lower(g), g);
  const ids = new Map((await groupsRepo.byNames(trx, [...names.values()])).map((g) => [g.name_lower, g.id]));
  for (const [key, name] of names) {
    if (ids.has(key)) continue;
    const id = newId();
    await groupsRepo.insert(trx, { id, name, created_at: now });
    ids.set(key, id);
  }
  return ids;
}

function newRow(e: PlanEntry, managerId: string | null | undefined, now: number): NewUserRow {
  const r = e.record;
  return newUserRow({
    id: e.id,
    username: r.username,
    email: r.email,
    display_name: r.displayName,
    external_id: r.externalId,
    created_at: now,
    employee_number: r.employeeNumber,
    department: r.department,
    manager_id: managerId,
    start_date: r.startDate,
  });
}

/**
 * Writes one batch inside its transaction: re-checks the plan, creates and updates people,
 * their groups and (as soon as they exist) their managers, audits each person, and runs the
 * lifecycle: joiners get their requirement and invitation, changed groups are mover events.
 */
export async function writeBatch(
  trx: Db,
  deps: { ctx: Context; events: LifecycleEvents },
  actor: Actor,
  batch: readonly PlanEntry[],
  state: ImportState,
): Promise<BatchOutcome> {
  const now = deps.ctx.clock.now();
  await recheckPlan(trx, batch);
  const inBatch = new Set(batch.filter((e) => e.kind === 'create').map((e) => e.id));
  const groups = await groupIds(trx, batch, now);
  const audit: AuditEntry[] = [];
  const rows: NewUserRow[] = [];
  for (const e of batch) {
    const managerId = managerNow(e, inBatch, state);
    if (e.kind === 'create') {
      rows.push(newRow(e, managerId, now));
      audit.push({
        action: 'person.imported',
        subject: e.id,
        details: { username: e.record.username, groups: e.groupsAdded },
      });
      continue;
    }
    const update: UserUpdate = {};
    for (const c of e.changes) if (c.field !== 'manager_id') update[c.field] = c.to as never;
    if (e.record.startDate !== undefined && 'start_date' in update) update.start_date = e.record.startDate;
    if (managerId !== undefined) update.manager_id = managerId;
    if (update.username) update.username_lower = lower(update.username);
    if (Object.keys(update).length > 0) await usersRepo.update(trx, e.id, { ...update, updated_at: now });
    const changed = [
      ...e.changes.map((c) => c.field),
      ...(e.groupsAdded.length + e.groupsRemoved.length ? ['groups'] : []),
    ];
    audit.push({ action: 'person.updated', subject: e.id, details: { changed, source: 'import' } });
  }
  await usersRepo.insertMany(trx, rows);
  const touched = new Set<string>();
  const adds = batch.flatMap((e) =>
    e.groupsAdded.map((g) => ({ group_id: groups.get(lower(g))!, user_id: e.id })),
  );
  await groupsRepo.addMemberships(trx, adds);
  for (const a of adds) touched.add(a.group_id);
  for (const e of batch) {
    for (const g of e.groupsRemoved) {
      await groupsRepo.removeMember(trx, groups.get(lower(g))!, e.id);
      touched.add(groups.get(lower(g))!);
    }
  }
  for (const g of touched) await groupsRepo.touch(trx, g, now);
  for (const managerId of inBatch) {
    for (const id of state.waiting.get(managerId) ?? [])
      await usersRepo.update(trx, id, { manager_id: managerId, updated_at: now });
    state.waiting.delete(managerId);
  }
  await deps.ctx.audit.append(trx, actor, ...audit);
  return {
    created: rows.length,
    updated: batch.length - rows.length,
    requirementsOpened: await lifecycle(trx, deps, actor, batch),
  };
}

/** The batch's lifecycle events: joiners (one multi-row pass), then movers and changed start dates one by one. */
async function lifecycle(
  trx: Db,
  deps: { events: LifecycleEvents },
  actor: Actor,
  batch: readonly PlanEntry[],
) {
  const rules = await loadRules(trx, ['joiner', 'mover']);
  const joined: Joined[] = batch
    .filter((e) => e.kind === 'create')
    .map((e) => ({
      person: {
        id: e.id,
        username: e.record.username,
        display_name: e.record.displayName ?? null,
        email: e.record.email ?? null,
      },
      groups: e.groupsAdded,
      start: {
        startDate: e.record.startDate ?? null,
        managerId: (e.changes.find((c) => c.field === 'manager_id')?.to as string | null | undefined) ?? null,
      },
    }));
  const opened = await deps.events.onJoinedMany(trx, actor, joined, rules);
  const movers = rules.filter((r) => r.trigger === 'mover');
  for (const e of batch) {
    if (!e.existing || e.groupsAdded.length + e.groupsRemoved.length === 0) continue;
    const removed = new Set(e.groupsRemoved.map(lower));
    const after = [...e.existing.groups.filter((g) => !removed.has(lower(g))), ...e.groupsAdded];
    await deps.events.onGroupsChanged(trx, actor, e.id, e.existing.groups, after, movers);
  }
  for (const e of batch) {
    if (e.existing && e.changes.some((c) => c.field === 'start_date'))
      await deps.events.onStartDateChanged(trx, actor, e.id);
  }
  return opened;
}
