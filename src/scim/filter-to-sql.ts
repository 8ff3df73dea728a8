import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';
import { compareSql, type FieldSql, presentSql, sortSql } from './field-sql.js';
import type { AttrPath, Filter } from './filter-parser.js';
import { canonicalKey, type ResolvedAttr, resolveAttr } from './resolve-attr.js';
import { scimError } from './scim-errors.js';
import type { ResourceTypeDef } from './scim-schemas.js';

/** A multi-valued attribute in SQL: its sub-attributes, and the EXISTS that ties them to one value. */
export interface MultiSql {
  sub: Record<string, FieldSql>;
  /** Holds when one value satisfies `inner` (identity when the value lives in the row itself). */
  some(inner: Expression<SqlBool>): RawBuilder<SqlBool>;
  /** True when the value lives in the row itself (so it can be a sort key). */
  inRow: boolean;
}

/**
 * The attribute whitelist of a resource: canonical key (`name.givenName`, `urn:…:User:department`,
 * `meta.created`) → SQL. An attribute not listed cannot be filtered or sorted on.
 */
export interface SqlMap {
  rt: ResourceTypeDef;
  fields: Record<string, FieldSql>;
  multi: Record<string, MultiSql>;
}

const label = (p: AttrPath) => [p.urn, p.attr].filter(Boolean).join(':') + (p.sub ? `.${p.sub}` : '');

function resolve(map: SqlMap, path: AttrPath): ResolvedAttr {
  const r = resolveAttr(map.rt, path);
  if (!r) throw scimError('invalidFilter', `unknown attribute ${label(path)}`);
  return r;
}

function field(map: SqlMap, key: string, path: AttrPath): FieldSql {
  const f = map.fields[key];
  if (!f) throw scimError('invalidFilter', `${label(path)} cannot be filtered on`);
  return f;
}

/** A multi-valued attribute's SQL, or invalidFilter. */
function multiOf(map: SqlMap, r: ResolvedAttr, path: AttrPath): MultiSql {
  const m = map.multi[canonicalKey({ ...r, sub: null })];
  if (!m) throw scimError('invalidFilter', `${label(path)} cannot be filtered on`);
  return m;
}

function subField(m: MultiSql, name: string, path: AttrPath): FieldSql {
  const key = Object.keys(m.sub).find((k) => k.toLowerCase() === name.toLowerCase());
  if (!key) throw scimError('invalidFilter', `${label(path)}.${name} cannot be filtered on`);
  return m.sub[key]!;
}

/** One comparison or presence test on a path (a complex or multi-valued one means its `value`). */
function leaf(map: SqlMap, f: Extract<Filter, { kind: 'compare' | 'present' }>): Expression<SqlBool> {
  const r = resolve(map, f.path);
  const test = (fs: FieldSql) =>
    f.kind === 'present' ? presentSql(fs) : compareSql(fs, f.op, f.value, label(f.path));
  if (r.attr.multiValued) {
    const m = multiOf(map, r, f.path);
    // `emails pr` and `emails co "x"` both mean the value sub-attribute.
    return m.some(test(subField(m, r.sub?.name ?? 'value', f.path)));
  }
  if (r.attr.type === 'complex' && !r.sub) {
    return test(field(map, `${canonicalKey(r)}.value`, f.path));
  }
  return test(field(map, canonicalKey(r), f.path));
}

/** `attr[inner]`: the inner filter over one value of a multi-valued (or complex) attribute. */
function valuePath(map: SqlMap, f: Extract<Filter, { kind: 'valuePath' }>): Expression<SqlBool> {
  const r = resolve(map, f.path);
  if (r.attr.type !== 'complex') throw scimError('invalidFilter', `${label(f.path)} has no sub-attributes`);
  const m: MultiSql = r.attr.multiValued
    ? multiOf(map, r, f.path)
    : { sub: subFieldsOf(map, canonicalKey(r)), some: (inner) => sql<SqlBool>`(${inner})`, inRow: true };
  const inner = (g: Filter): Expression<SqlBool> => {
    switch (g.kind) {
      case 'and':
      case 'or':
        return join(g.kind, g.items.map(inner));
      case 'not':
        return sql<SqlBool>`not (${inner(g.item)})`;
      case 'valuePath':
        throw scimError('invalidFilter', 'value filters do not nest');
      case 'present':
        return presentSql(subField(m, g.path.attr, f.path));
      case 'compare':
        return compareSql(subField(m, g.path.attr, f.path), g.op, g.value, `${label(f.path)}.${g.path.attr}`);
    }
  };
  return m.some(inner(f.filter));
}

function subFieldsOf(map: SqlMap, prefix: string): Record<string, FieldSql> {
  const out: Record<string, FieldSql> = {};
  for (const [k, v] of Object.entries(map.fields))
    if (k.startsWith(`${prefix}.`)) out[k.slice(prefix.length + 1)] = v;
  return out;
}

function join(kind: 'and' | 'or', parts: Expression<SqlBool>[]): RawBuilder<SqlBool> {
  return sql<SqlBool>`(${sql.join(parts, kind === 'and' ? sql` and ` : sql` or `)})`;
}

/**
 * A parsed filter as one SQL boolean expression over the map's whitelisted columns. Every
 * value becomes a bound parameter; identifiers come only from the map. Unknown or unfilterable
 * attributes and type mismatches are 400 invalidFilter.
 */
export function filterToSql(map: SqlMap, filter: Filter): Expression<SqlBool> {
  switch (filter.kind) {
    case 'and':
    case 'or':
      return join(
        filter.kind,
        filter.items.map((f) => filterToSql(map, f)),
      );
    case 'not':
      return sql<SqlBool>`not (${filterToSql(map, filter.item)})`;
    case 'valuePath':
      return valuePath(map, filter);
    default:
      return leaf(map, filter);
  }
}

/** The sort key for `sortBy` (a multi-valued attribute sorts by its value), or 400 invalidValue. */
export function sortToSql(map: SqlMap, sortBy: string, path: AttrPath | undefined): Expression<unknown> {
  const r = path ? resolveAttr(map.rt, path) : undefined;
  let f: FieldSql | undefined;
  if (r?.attr.multiValued) {
    const m = map.multi[canonicalKey({ ...r, sub: null })];
    f = m?.inRow ? m.sub[r.sub?.name ?? 'value'] : undefined;
  } else if (r)
    f = map.fields[r.attr.type === 'complex' && !r.sub ? `${canonicalKey(r)}.value` : canonicalKey(r)];
  const key = f ? sortSql(f) : undefined;
  if (!key) throw scimError('invalidValue', `cannot sort by ${sortBy.slice(0, 100)}`);
  return key;
}
