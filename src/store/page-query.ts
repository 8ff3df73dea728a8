import { type Expression, type SelectQueryBuilder, type SqlBool, sql } from 'kysely';
import type { Database } from './schema.js';

/** One page of a filtered, sorted listing (SCIM list requests). */
export interface PageQuery {
  /** Built by the caller from bound parameters only (see scim/filter-to-sql.ts). */
  where: Expression<SqlBool>;
  /** The sort key, or null for the natural order (by id). */
  orderBy: Expression<unknown> | null;
  descending: boolean;
  limit: number;
  offset: number;
}

/**
 * Orders and cuts a query the same way on both dialects: rows without a sort value come last
 * when ascending and first when descending (RFC 7644 §3.4.2.3; SQLite and PostgreSQL disagree
 * by default), and the id breaks ties so pages never overlap or skip.
 */
export function orderedPage<TB extends keyof Database, O>(
  q: SelectQueryBuilder<Database, TB, O>,
  table: TB,
  page: PageQuery,
): SelectQueryBuilder<Database, TB, O> {
  const dir = page.descending ? 'desc' : 'asc';
  let out = q.where(page.where);
  if (page.orderBy) {
    out = out
      .orderBy(sql`case when ${page.orderBy} is null then 1 else 0 end`, dir)
      .orderBy(page.orderBy, dir);
  }
  return out
    .orderBy(sql.ref(`${table}.id`))
    .limit(page.limit)
    .offset(page.offset);
}
