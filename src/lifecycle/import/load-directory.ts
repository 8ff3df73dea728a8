import type { Db } from '../../store/open-store.js';
import { groupsRepo } from '../../store/repos/groups.js';
import { usersRepo } from '../../store/repos/users.js';
import type { UserRow } from '../../store/schema.js';
import type { PersonRecord } from './people-csv.js';
import type { Directory, Existing } from './plan-import.js';

/** The groups of many people, by person (in queries of 500 people). */
export async function groupsOf(db: Db, ids: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (let i = 0; i < ids.length; i += 500) {
    for (const m of await groupsRepo.membershipsOf(db, ids.slice(i, i + 500)))
      out.get(m.user_id)?.push(m.name);
  }
  return out;
}

/** Everyone the records may name (themselves and their managers), by externalId and username, with their groups. */
export async function loadDirectory(db: Db, records: readonly PersonRecord[]): Promise<Directory> {
  const ext = new Set<string>();
  const names = new Set<string>();
  for (const r of records) {
    if (r.externalId) ext.add(r.externalId);
    names.add(r.username.toLowerCase());
    if (r.manager) {
      ext.add(r.manager);
      names.add(r.manager.toLowerCase());
    }
  }
  const rows = new Map<string, UserRow>();
  for (const row of await usersRepo.byExternalIds(db, [...ext])) rows.set(row.id, row);
  for (const row of await usersRepo.byUsernames(db, [...names])) rows.set(row.id, row);
  const groups = await groupsOf(db, [...rows.keys()]);
  const byExternalId = new Map<string, Existing>();
  const byUsername = new Map<string, Existing>();
  for (const row of rows.values()) {
    const e = { row, groups: groups.get(row.id) ?? [] };
    if (row.external_id) byExternalId.set(row.external_id, e);
    byUsername.set(row.username_lower, e);
  }
  return { byExternalId, byUsername };
}
