import { z } from 'zod';
import { usernameSchema } from '../identity/person.js';
import { formatStartDate, parseStartDate, START_DATE_FORMAT } from '../identity/start-date.js';
import type { UserRow } from '../store/schema.js';
import { etagOf } from './etag.js';
import type { Doc } from './resource-doc.js';
import { scimError } from './scim-errors.js';
import { ENTERPRISE_SCHEMA, PORTCULLIS_SCHEMA, USER_SCHEMA } from './scim-schemas.js';

/** Optional text: "" means unset (clients clear attributes that way). */
const text = (max: number) =>
  z.preprocess((v) => (v === '' ? null : v), z.string().trim().min(1).max(max).nullish());

const emailSchema = z.strictObject({
  value: z.email().max(254),
  type: z.string().max(50).nullish(),
  primary: z.boolean().nullish(),
  display: z.string().max(254).nullish(),
});

/**
 * The Portcullis `startDate`: a full-date `YYYY-MM-DD`, or a date-time at midnight UTC (how
 * directories that keep a hire date as a date-time send it), stored as ms; "" clears it.
 */
const startDate = z.preprocess(
  (v) => (v === '' ? null : v),
  z
    .string()
    .transform((s, ctx) => {
      const ms = parseStartDate(s.replace(/T00:00:00(\.0+)?Z$/, ''));
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `startDate ${START_DATE_FORMAT}` });
        return z.NEVER;
      }
      return ms;
    })
    .nullish(),
);

/** A canonical User document as this server keeps it (see resource-doc.ts for canonical form). */
const userDocSchema = z.strictObject({
  externalId: text(200),
  userName: usernameSchema,
  name: z.strictObject({ givenName: text(200), familyName: text(200) }).nullish(),
  displayName: text(200),
  title: text(200),
  active: z.boolean().nullish(),
  password: z.string().min(8, 'password must be at least 8 characters').max(256).nullish(),
  emails: z.array(emailSchema).max(20).nullish(),
  [ENTERPRISE_SCHEMA]: z
    .strictObject({
      employeeNumber: text(100),
      department: text(200),
      manager: z.strictObject({ value: z.string().min(1).max(64) }).nullish(),
    })
    .nullish(),
  [PORTCULLIS_SCHEMA]: z.strictObject({ startDate }).nullish(),
});

/** The columns a User document sets. */
export interface UserFields {
  username: string;
  external_id: string | null;
  display_name: string | null;
  given_name: string | null;
  family_name: string | null;
  title: string | null;
  email: string | null;
  employee_number: string | null;
  department: string | null;
  manager_id: string | null;
  start_date: number | null;
}

/** What a User document asks for: the columns, and `active`/`password` only when given. */
export interface UserInput {
  fields: UserFields;
  active: boolean | undefined;
  password: string | undefined;
}

type Email = z.infer<typeof emailSchema>;

/** The one address kept: the primary, else the work one, else the first (RFC 7643 §4.1.2). */
function chooseEmail(emails: Email[]): string | null {
  const primaries = emails.filter((e) => e.primary === true);
  if (primaries.length > 1) throw scimError('invalidValue', 'at most one email may be primary');
  return (primaries[0] ?? emails.find((e) => e.type?.toLowerCase() === 'work') ?? emails[0])?.value ?? null;
}

/** Validates a canonical User document and maps it to columns (400 invalidValue when it is wrong). */
export function userFromDoc(doc: Doc): UserInput {
  const d = userDocSchema.parse(doc);
  const ent = d[ENTERPRISE_SCHEMA];
  return {
    fields: {
      username: d.userName,
      external_id: d.externalId ?? null,
      display_name: d.displayName ?? null,
      given_name: d.name?.givenName ?? null,
      family_name: d.name?.familyName ?? null,
      title: d.title ?? null,
      email: chooseEmail(d.emails ?? []),
      employee_number: ent?.employeeNumber ?? null,
      department: ent?.department ?? null,
      manager_id: ent?.manager?.value ?? null,
      start_date: d[PORTCULLIS_SCHEMA]?.startDate ?? null,
    },
    active: d.active ?? undefined,
    password: d.password ?? undefined,
  };
}

/** Drops unset keys, so an absent attribute is absent (RFC 7643 §2.5), never null. */
function compact(obj: Doc): Doc | undefined {
  const out: Doc = {};
  for (const [k, v] of Object.entries(obj)) if (v !== null && v !== undefined) out[k] = v;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** SCIM `active`: everyone not deprovisioned (suspension is Portcullis's own, not the directory's). */
export function isActive(row: Pick<UserRow, 'status'>): boolean {
  return row.status !== 'deprovisioned';
}

/** The person's writable attributes as a canonical document: what PATCH starts from. */
export function docFromUser(row: UserRow): Doc {
  return compact({
    externalId: row.external_id,
    userName: row.username,
    name: compact({ givenName: row.given_name, familyName: row.family_name }),
    displayName: row.display_name,
    title: row.title,
    active: isActive(row),
    emails: row.email ? [{ value: row.email, type: 'work', primary: true }] : undefined,
    [ENTERPRISE_SCHEMA]: compact({
      employeeNumber: row.employee_number,
      department: row.department,
      manager: row.manager_id ? { value: row.manager_id } : undefined,
    }),
    [PORTCULLIS_SCHEMA]: compact({
      startDate: row.start_date === null ? null : formatStartDate(row.start_date),
    }),
  })!;
}

/** What rendering a person needs besides the row. */
export interface UserExtras {
  baseUrl: string;
  groups: Array<{ id: string; name: string }>;
  managerName: string | null;
}

/** A person as a SCIM User (RFC 7643 §4.1, §4.3). The password never appears. */
export function renderUser(row: UserRow, x: UserExtras): Doc {
  const doc = docFromUser(row);
  const name = doc.name as Doc | undefined;
  if (name) name.formatted = [row.given_name, row.family_name].filter(Boolean).join(' ');
  const ent = doc[ENTERPRISE_SCHEMA] as Doc | undefined;
  if (ent?.manager && row.manager_id) {
    ent.manager = compact({
      value: row.manager_id,
      $ref: `${x.baseUrl}/Users/${row.manager_id}`,
      displayName: x.managerName,
    });
  }
  const groups = x.groups.map((g) => ({
    value: g.id,
    $ref: `${x.baseUrl}/Groups/${g.id}`,
    display: g.name,
    type: 'direct',
  }));
  const extensions = [ENTERPRISE_SCHEMA, PORTCULLIS_SCHEMA].filter((urn) => doc[urn] !== undefined);
  return {
    schemas: [USER_SCHEMA, ...extensions],
    id: row.id,
    ...doc,
    ...(groups.length > 0 ? { groups } : {}),
    meta: {
      resourceType: 'User',
      created: new Date(row.created_at).toISOString(),
      lastModified: new Date(row.updated_at).toISOString(),
      location: `${x.baseUrl}/Users/${row.id}`,
      version: etagOf(row.version),
    },
  };
}
