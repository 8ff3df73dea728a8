import { z } from 'zod';
import type { Selectable } from 'kysely';
import type { GroupsTable } from '../store/schema.js';
import { etagOf } from './etag.js';
import type { Doc } from './resource-doc.js';
import { GROUP_SCHEMA } from './scim-schemas.js';

export type GroupRow = Selectable<GroupsTable>;

/** Most members one Group document may list (a PUT of a larger group is refused, not truncated). */
export const MAX_MEMBERS = 10_000;

const groupDocSchema = z.strictObject({
  externalId: z.preprocess((v) => (v === '' ? null : v), z.string().min(1).max(200).nullish()),
  displayName: z.string().trim().min(1, 'displayName must not be empty').max(200),
  members: z
    .array(
      z.strictObject({
        value: z.string().min(1).max(64),
        // Only people are members here: nested groups are refused rather than silently dropped.
        type: z
          .string()
          .regex(/^user$/i, 'members must be Users')
          .nullish(),
        display: z.string().nullish(),
      }),
    )
    .max(MAX_MEMBERS)
    .nullish(),
});

/** What a Group document asks for; `members` undefined when the document does not list them. */
export interface GroupInput {
  name: string;
  external_id: string | null;
  members: string[] | undefined;
}

/** Validates a canonical Group document (400 invalidValue when it is wrong). */
export function groupFromDoc(doc: Doc, membersRequired: boolean): GroupInput {
  const d = groupDocSchema.parse(doc);
  const members = d.members ? [...new Set(d.members.map((m) => m.value))] : membersRequired ? [] : undefined;
  return { name: d.displayName, external_id: d.externalId ?? null, members };
}

/** A member as the Group shows it. */
export interface MemberView {
  id: string;
  username: string;
  display_name: string | null;
}

/** The group's writable attributes as a canonical document (members with their display, for filters). */
export function docFromGroup(row: GroupRow, members: readonly MemberView[]): Doc {
  return {
    displayName: row.name,
    ...(row.external_id ? { externalId: row.external_id } : {}),
    ...(members.length > 0
      ? { members: members.map((m) => ({ value: m.id, display: m.display_name ?? m.username })) }
      : {}),
  };
}

/** A group as a SCIM Group (RFC 7643 §4.2); `members` undefined when they were not asked for. */
export function renderGroup(row: GroupRow, members: readonly MemberView[] | undefined, baseUrl: string): Doc {
  const list = (members ?? []).map((m) => ({
    value: m.id,
    $ref: `${baseUrl}/Users/${m.id}`,
    display: m.display_name ?? m.username,
    type: 'User',
  }));
  return {
    schemas: [GROUP_SCHEMA],
    id: row.id,
    ...(row.external_id ? { externalId: row.external_id } : {}),
    displayName: row.name,
    ...(list.length > 0 ? { members: list } : {}),
    meta: {
      resourceType: 'Group',
      created: new Date(row.created_at).toISOString(),
      lastModified: new Date(row.updated_at ?? row.created_at).toISOString(),
      location: `${baseUrl}/Groups/${row.id}`,
      version: etagOf(row.version),
    },
  };
}
