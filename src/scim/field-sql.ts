import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { CompareOp, CompValue } from './filter-parser.js';
import { parseStartDate } from '../identity/start-date.js';
import { scimError } from './scim-errors.js';

/**
 * How one filterable attribute reads in SQL. Strings compare case-insensitively unless
 * caseExact; `lowered` columns already hold the lower-cased value (userName), so the value is
 * lower-cased the same way (JavaScript) and the index serves. Booleans are expressions (never
 * bound: SQLite cannot bind them): `present` says the value exists, `truth` that it is true.
 */
export type FieldSql =
  | { type: 'string'; expr: Expression<unknown>; caseExact: boolean; lowered?: boolean }
  | { type: 'dateTime'; expr: Expression<unknown> }
  /** A calendar date kept as midnight UTC in ms (a start date); compared with `YYYY-MM-DD`. */
  | { type: 'date'; expr: Expression<unknown> }
  | { type: 'boolean'; present: Expression<SqlBool>; truth: Expression<SqlBool> };

export const TRUE: RawBuilder<SqlBool> = sql<SqlBool>`1 = 1`;
export const FALSE: RawBuilder<SqlBool> = sql<SqlBool>`1 = 0`;

const bad = (label: string, why: string) => scimError('invalidFilter', `${label}: ${why}`);

/** `attr pr`: a value is there (a string must also be non-empty, RFC 7644 §3.4.2.2). */
export function presentSql(f: FieldSql): RawBuilder<SqlBool> {
  if (f.type === 'boolean') return sql<SqlBool>`(${f.present})`;
  if (f.type === 'dateTime' || f.type === 'date') return sql<SqlBool>`(${f.expr} is not null)`;
  return sql<SqlBool>`(${f.expr} is not null and ${f.expr} <> '')`;
}

/**
 * `attr op value` as two-valued SQL: a missing value never makes the whole filter unknown,
 * so `not (…)` means what it says. Values are always bound parameters.
 */
export function compareSql(f: FieldSql, op: CompareOp, value: CompValue, label: string): RawBuilder<SqlBool> {
  if (value === null) {
    if (op === 'eq') return sql<SqlBool>`not ${presentSql(f)}`;
    if (op === 'ne') return presentSql(f);
    throw bad(label, `${op} cannot compare with null`);
  }
  if (f.type === 'boolean') {
    // "True"/"False" as strings, the way Entra ID writes booleans elsewhere.
    if (typeof value === 'string' && /^(true|false)$/i.test(value)) value = value.toLowerCase() === 'true';
    if (typeof value !== 'boolean') throw bad(label, 'compares with true or false only');
    if (op !== 'eq' && op !== 'ne') throw bad(label, `a boolean does not support ${op}`);
    const wanted = (op === 'eq') === value ? f.truth : sql<SqlBool>`not (${f.truth})`;
    return sql<SqlBool>`(${f.present} and ${wanted})`;
  }
  if (typeof value !== 'string') throw bad(label, 'compares with a string only');
  if (f.type === 'dateTime') return dateSql(f.expr, op, dateTimeMs(value), label);
  if (f.type === 'date') return dateSql(f.expr, op, parseStartDate(value), label, 'a full-date YYYY-MM-DD');
  const lhs = f.lowered || f.caseExact ? sql`${f.expr}` : sql`lower(${f.expr})`;
  const param = sql`cast(${f.lowered ? value.toLowerCase() : value} as text)`;
  const rhs = f.lowered || f.caseExact ? param : sql`lower(${param})`;
  return textSql(f.expr, lhs, rhs, op, value === '');
}

function textSql(
  col: Expression<unknown>,
  lhs: RawBuilder<unknown>,
  rhs: RawBuilder<unknown>,
  op: CompareOp,
  empty: boolean,
): RawBuilder<SqlBool> {
  switch (op) {
    case 'ne':
      return sql<SqlBool>`(${col} is null or ${lhs} <> ${rhs})`;
    case 'co':
    case 'sw':
    case 'ew':
      // Every string contains, starts and ends with "".
      if (empty) return sql<SqlBool>`(${col} is not null)`;
      // No LIKE: its wildcards and its case rules differ between the dialects.
      if (op === 'co') return sql<SqlBool>`(${col} is not null and replace(${lhs}, ${rhs}, '') <> ${lhs})`;
      if (op === 'sw')
        return sql<SqlBool>`(${col} is not null and substr(${lhs}, 1, length(${rhs})) = ${rhs})`;
      return sql<SqlBool>`(${col} is not null and length(${lhs}) >= length(${rhs}) and substr(${lhs}, length(${lhs}) - length(${rhs}) + 1) = ${rhs})`;
    default:
      return sql<SqlBool>`(${col} is not null and ${lhs} ${sql.raw(SQL_OPS[op])} ${rhs})`;
  }
}

/** The fixed SQL operator of each ordering comparison (never taken from input). */
const SQL_OPS: Record<'eq' | 'gt' | 'ge' | 'lt' | 'le', string> = {
  eq: '=',
  gt: '>',
  ge: '>=',
  lt: '<',
  le: '<=',
};

/** An ISO 8601 date-time as ms, or undefined. */
function dateTimeMs(value: string): number | undefined {
  const ms = Date.parse(value);
  return Number.isFinite(ms) && /^\d{4}-\d{2}-\d{2}T/.test(value) ? ms : undefined;
}

function dateSql(
  col: Expression<unknown>,
  op: CompareOp,
  ms: number | undefined,
  label: string,
  expects = 'an ISO 8601 date-time',
): RawBuilder<SqlBool> {
  if (ms === undefined) throw bad(label, `expects ${expects}`);
  if (op === 'co' || op === 'sw' || op === 'ew') throw bad(label, `a date does not support ${op}`);
  if (op === 'ne') return sql<SqlBool>`(${col} is null or ${col} <> ${ms})`;
  return sql<SqlBool>`(${col} is not null and ${col} ${sql.raw(SQL_OPS[op])} ${ms})`;
}

/** The sort key of a field: case-folded unless caseExact (booleans do not sort). */
export function sortSql(f: FieldSql): Expression<unknown> | undefined {
  if (f.type === 'boolean') return undefined;
  if (f.type === 'string' && !f.lowered && !f.caseExact) return sql`lower(${f.expr})`;
  return f.expr;
}
