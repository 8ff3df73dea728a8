import { type Expression, type SqlBool, sql } from 'kysely';
import { type FieldSql, TRUE } from './field-sql.js';
import type { SqlMap } from './filter-to-sql.js';
import { ENTERPRISE_SCHEMA, GROUP_RESOURCE, PORTCULLIS_SCHEMA, USER_RESOURCE } from './scim-schemas.js';

const text = (column: string, caseExact = false): FieldSql => ({
  type: 'string',
  expr: sql.ref(column),
  caseExact,
});
const time = (expr: Expression<unknown>): FieldSql => ({ type: 'dateTime', expr });

/**
 * The User attributes that filter and sort, and the columns they read. userName reads the
 * lower-cased key column (unique and indexed), so `userName eq` is case-insensitive and fast.
 * `active` is "not deprovisioned"; the one kept email is the work, primary one.
 */
export const USER_SQL: SqlMap = {
  rt: USER_RESOURCE,
  fields: {
    id: text('users.id', true),
    externalId: text('users.external_id', true),
    userName: { type: 'string', expr: sql.ref('users.username_lower'), caseExact: false, lowered: true },
    displayName: text('users.display_name'),
    title: text('users.title'),
    'name.givenName': text('users.given_name'),
    'name.familyName': text('users.family_name'),
    active: {
      type: 'boolean',
      present: TRUE,
      truth: sql<SqlBool>`(${sql.ref('users.status')} <> 'deprovisioned')`,
    },
    [`${ENTERPRISE_SCHEMA}:employeeNumber`]: text('users.employee_number'),
    [`${ENTERPRISE_SCHEMA}:department`]: text('users.department'),
    [`${ENTERPRISE_SCHEMA}:manager.value`]: text('users.manager_id', true),
    [`${PORTCULLIS_SCHEMA}:startDate`]: { type: 'date', expr: sql.ref('users.start_date') },
    'meta.created': time(sql.ref('users.created_at')),
    'meta.lastModified': time(sql.ref('users.updated_at')),
  },
  multi: {
    emails: {
      inRow: true,
      some: (inner) => sql<SqlBool>`(${inner})`,
      sub: {
        value: text('users.email'),
        type: {
          type: 'string',
          expr: sql`(case when ${sql.ref('users.email')} is null then null else 'work' end)`,
          caseExact: false,
        },
        primary: {
          type: 'boolean',
          present: sql<SqlBool>`(${sql.ref('users.email')} is not null)`,
          truth: TRUE,
        },
      },
    },
    groups: {
      inRow: false,
      some: (inner) =>
        sql<SqlBool>`exists (select 1 from group_members as ug inner join groups as ugg on ugg.id = ug.group_id where ug.user_id = ${sql.ref('users.id')} and ${inner})`,
      sub: { value: text('ug.group_id', true), display: text('ugg.name') },
    },
  },
};

/** The Group attributes that filter and sort. displayName reads the lower-cased unique key. */
export const GROUP_SQL: SqlMap = {
  rt: GROUP_RESOURCE,
  fields: {
    id: text('groups.id', true),
    externalId: text('groups.external_id', true),
    displayName: { type: 'string', expr: sql.ref('groups.name_lower'), caseExact: false, lowered: true },
    'meta.created': time(sql.ref('groups.created_at')),
    'meta.lastModified': time(
      sql`coalesce(${sql.ref('groups.updated_at')}, ${sql.ref('groups.created_at')})`,
    ),
  },
  multi: {
    members: {
      inRow: false,
      some: (inner) =>
        sql<SqlBool>`exists (select 1 from group_members as gm inner join users as gu on gu.id = gm.user_id where gm.group_id = ${sql.ref('groups.id')} and gu.deleted_at is null and ${inner})`,
      sub: {
        value: text('gm.user_id', true),
        display: { type: 'string', expr: sql`coalesce(gu.display_name, gu.username)`, caseExact: false },
        type: { type: 'string', expr: sql`'User'`, caseExact: false },
      },
    },
  },
};
