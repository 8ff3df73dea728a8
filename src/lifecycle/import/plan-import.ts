import { formatStartDate } from '../../identity/start-date.js';
import { AppError } from '../../shared/errors.js';
import type { UserRow } from '../../store/schema.js';
import type { PersonRecord } from './people-csv.js';

/** A person the directory holds already, with their groups. */
export interface Existing {
  row: UserRow;
  groups: string[];
}

/** The directory as the plan sees it: people by externalId and by lower-case username. */
export interface Directory {
  byExternalId: ReadonlyMap<string, Existing>;
  byUsername: ReadonlyMap<string, Existing>;
}

/** The columns an import writes, by their names in `users`. */
export type ImportField =
  | 'username'
  | 'email'
  | 'display_name'
  | 'external_id'
  | 'department'
  | 'employee_number'
  | 'manager_id'
  | 'start_date';

export interface FieldChange {
  field: ImportField;
  from: string | null;
  to: string | null;
}

/** What the import does for one row. */
export interface PlanEntry {
  record: PersonRecord;
  kind: 'create' | 'update' | 'unchanged';
  /** The person's id: theirs when they exist, a new one otherwise (managers refer to it). */
  id: string;
  existing: Existing | undefined;
  changes: FieldChange[];
  groupsAdded: string[];
  groupsRemoved: string[];
}

const lower = (s: string) => s.toLowerCase();

function fail(line: number, message: string): never {
  throw new AppError('VALIDATION_FAILED', `line ${line}: ${message}`, { line });
}

/** The existing person a record describes: by externalId, else by username. */
function match(rec: PersonRecord, dir: Directory): Existing | undefined {
  const byExt = rec.externalId ? dir.byExternalId.get(rec.externalId) : undefined;
  const byName = dir.byUsername.get(lower(rec.username));
  if (byExt) {
    if (byName && byName.row.id !== byExt.row.id) {
      fail(rec.line, `username ${rec.username} belongs to another person than externalId ${rec.externalId}`);
    }
    return byExt;
  }
  if (byName && rec.externalId && byName.row.external_id && byName.row.external_id !== rec.externalId) {
    fail(rec.line, `username ${rec.username} belongs to a person with another externalId`);
  }
  return byName;
}

/** Resolves `manager` (an externalId or a username, in the file first, then in the directory) to an id. */
function managerResolver(entries: readonly PlanEntry[], dir: Directory) {
  const fileByExt = new Map<string, string>();
  const fileByName = new Map<string, string>();
  for (const e of entries) {
    if (e.record.externalId) fileByExt.set(e.record.externalId, e.id);
    fileByName.set(lower(e.record.username), e.id);
  }
  return (rec: PersonRecord, self: string): string | null | undefined => {
    if (rec.manager === undefined || rec.manager === null) return rec.manager;
    const ref = rec.manager;
    const id =
      fileByExt.get(ref) ??
      fileByName.get(lower(ref)) ??
      dir.byExternalId.get(ref)?.row.id ??
      dir.byUsername.get(lower(ref))?.row.id;
    if (id === undefined) fail(rec.line, `manager ${ref} is neither in the file nor a known person`);
    if (id === self) fail(rec.line, 'a person cannot be their own manager');
    return id;
  };
}

function changesOf(
  rec: PersonRecord,
  ex: Existing | undefined,
  managerId: string | null | undefined,
): FieldChange[] {
  const wanted: Array<[ImportField, string | null | undefined]> = [
    ['username', rec.username],
    ['email', rec.email],
    ['display_name', rec.displayName],
    ['external_id', rec.externalId],
    ['department', rec.department],
    ['employee_number', rec.employeeNumber],
    ['manager_id', managerId],
    // Compared and shown as YYYY-MM-DD; write-batch stores it as ms (startDateOf).
    ['start_date', rec.startDate == null ? rec.startDate : formatStartDate(rec.startDate)],
  ];
  const out: FieldChange[] = [];
  for (const [field, to] of wanted) {
    if (to === undefined) continue;
    const stored = ex ? ex.row[field] : null;
    const from = typeof stored === 'number' ? formatStartDate(stored) : stored;
    if (from !== to && !(ex === undefined && to === null)) out.push({ field, from, to });
  }
  return out;
}

/**
 * Plans an import (pure): which rows create a person, which update one (and what changes),
 * which change nothing. Matching is by externalId, else username; `groups`, when the file has
 * the column, is the whole membership. Conflicts and unknown managers are VALIDATION_FAILED
 * naming the line. `newId` gives the ids new people will have.
 */
export function planImport(
  records: readonly PersonRecord[],
  dir: Directory,
  newId: () => string,
): PlanEntry[] {
  const entries: PlanEntry[] = records.map((record) => {
    const existing = match(record, dir);
    return {
      record,
      kind: 'unchanged',
      id: existing?.row.id ?? newId(),
      existing,
      changes: [],
      groupsAdded: [],
      groupsRemoved: [],
    };
  });
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.id)) fail(e.record.line, 'describes the same person as an earlier line');
    seen.add(e.id);
  }
  const resolveManager = managerResolver(entries, dir);
  for (const e of entries) {
    const { record: rec, existing: ex } = e;
    e.changes = changesOf(rec, ex, resolveManager(rec, e.id));
    if (rec.groups !== undefined) {
      const had = new Set((ex?.groups ?? []).map(lower));
      const want = new Set(rec.groups.map(lower));
      e.groupsAdded = rec.groups.filter((g) => !had.has(lower(g)));
      e.groupsRemoved = (ex?.groups ?? []).filter((g) => !want.has(lower(g)));
    }
    e.kind = !ex
      ? 'create'
      : e.changes.length > 0 || e.groupsAdded.length + e.groupsRemoved.length > 0
        ? 'update'
        : 'unchanged';
  }
  return entries;
}

const show = (v: string | null) => (v === null ? '(none)' : JSON.stringify(v));

/** One line of the dry run's report for an entry that changes something. */
export function describeEntry(e: PlanEntry): string {
  const parts = e.changes.map((c) =>
    e.kind === 'create' ? `${c.field}=${show(c.to)}` : `${c.field} ${show(c.from)} -> ${show(c.to)}`,
  );
  const groups = [...e.groupsAdded.map((g) => `+${g}`), ...e.groupsRemoved.map((g) => `-${g}`)];
  if (groups.length > 0) parts.push(`groups ${groups.join(' ')}`);
  return `line ${e.record.line}: ${e.kind} ${e.record.username}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}
