import { z } from 'zod';
import { usernameSchema } from '../../identity/person.js';
import { parseStartDate, START_DATE_FORMAT } from '../../identity/start-date.js';
import { AppError } from '../../shared/errors.js';
import type { CsvRecord } from './csv.js';

/** The columns a people CSV may have; the header names them (any order, any case). */
export const PEOPLE_COLUMNS = [
  'username',
  'email',
  'displayName',
  'externalId',
  'groups',
  'manager',
  'department',
  'employeeNumber',
  'startDate',
] as const;
export type PeopleColumn = (typeof PEOPLE_COLUMNS)[number];

/**
 * One person as the file describes them. A column the header lacks is `undefined` (left as
 * it is); an empty cell is `null` (cleared); `groups` is the whole membership when present.
 */
export interface PersonRecord {
  line: number;
  username: string;
  email?: string | null;
  displayName?: string | null;
  externalId?: string | null;
  groups?: string[];
  /** The manager's externalId or username (resolved against the file, then the directory). */
  manager?: string | null;
  department?: string | null;
  employeeNumber?: string | null;
  /** First working day, midnight UTC in ms (the column holds `YYYY-MM-DD`). */
  startDate?: number | null;
}

const text = (max: number) => z.string().trim().max(max);
const CELL: Record<Exclude<PeopleColumn, 'username' | 'groups' | 'startDate'>, z.ZodType<string>> = {
  email: z.email({ error: 'is not an e-mail address' }).max(254),
  displayName: text(200),
  externalId: text(200),
  manager: text(200),
  department: text(200),
  employeeNumber: text(100),
};
const groupName = z.string().max(200, 'a group name is longer than 200 characters');

/** Most data rows one file may hold. */
export const MAX_ROWS = 1_000_000;

function fail(line: number, message: string): never {
  throw new AppError('VALIDATION_FAILED', `line ${line}: ${message}`, { line });
}

/** Maps the header to columns: each known once, `username` required, anything else refused. */
function columnsOf(header: CsvRecord): PeopleColumn[] {
  const byLower = new Map(PEOPLE_COLUMNS.map((c) => [c.toLowerCase(), c]));
  const seen = new Set<PeopleColumn>();
  const cols = header.fields.map((raw) => {
    const col = byLower.get(raw.trim().toLowerCase());
    if (!col)
      fail(header.line, `unknown column "${raw.slice(0, 50)}"; the columns are ${PEOPLE_COLUMNS.join(', ')}`);
    if (seen.has(col)) fail(header.line, `column ${col} appears twice`);
    seen.add(col);
    return col;
  });
  if (!seen.has('username')) fail(header.line, 'the header must name a username column');
  return cols;
}

/** One data row as a record, or VALIDATION_FAILED naming its line and column. */
function recordOf(cols: readonly PeopleColumn[], row: CsvRecord): PersonRecord {
  if (row.fields.length !== cols.length) {
    fail(row.line, `${row.fields.length} fields, but the header names ${cols.length} columns`);
  }
  const rec: PersonRecord = { line: row.line, username: '' };
  cols.forEach((col, i) => {
    const raw = row.fields[i]!.trim();
    if (col === 'username') {
      const u = usernameSchema.safeParse(raw);
      if (!u.success) fail(row.line, `username ${u.error.issues[0]?.message ?? 'is not valid'}`);
      rec.username = u.data;
    } else if (col === 'groups') {
      const names = [
        ...new Set(
          raw
            .split(';')
            .map((g) => g.trim())
            .filter((g) => g !== ''),
        ),
      ];
      if (names.length > 100) fail(row.line, 'more than 100 groups');
      for (const g of names) {
        const r = groupName.safeParse(g);
        if (!r.success) fail(row.line, `groups: ${r.error.issues[0]?.message}`);
      }
      rec.groups = names;
    } else if (raw === '') {
      rec[col] = null;
    } else if (col === 'startDate') {
      const ms = parseStartDate(raw);
      if (ms === undefined) fail(row.line, `startDate ${START_DATE_FORMAT}`);
      rec.startDate = ms;
    } else {
      const r = CELL[col].safeParse(raw);
      if (!r.success) fail(row.line, `${col} ${r.error.issues[0]?.message ?? 'is not valid'}`);
      rec[col] = r.data;
    }
  });
  return rec;
}

/** Refuses a person described twice (same username in any case, or same externalId), naming both lines. */
function checkRepeats(records: readonly PersonRecord[]): void {
  const names = new Map<string, number>();
  const ext = new Map<string, number>();
  for (const r of records) {
    const u = r.username.toLowerCase();
    const first = names.get(u);
    if (first !== undefined) fail(r.line, `username ${r.username} is also on line ${first}`);
    names.set(u, r.line);
    if (r.externalId) {
      const firstExt = ext.get(r.externalId);
      if (firstExt !== undefined) fail(r.line, `externalId ${r.externalId} is also on line ${firstExt}`);
      ext.set(r.externalId, r.line);
    }
  }
}

/** Reads a people CSV's records (header first); any bad row is VALIDATION_FAILED naming its line. */
export function readPeopleCsv(records: readonly CsvRecord[]): PersonRecord[] {
  const [header, ...rows] = records;
  if (!header)
    throw new AppError('VALIDATION_FAILED', 'the file is empty: the first line must name the columns');
  if (rows.length > MAX_ROWS) fail(header.line, `more than ${MAX_ROWS} rows`);
  const cols = columnsOf(header);
  const people = rows.map((row) => recordOf(cols, row));
  checkRepeats(people);
  return people;
}
