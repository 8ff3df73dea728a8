import type { CompareOp, CompValue, Filter } from './filter-parser.js';
import { findAttr } from './resolve-attr.js';
import { isObject } from './resource-doc.js';
import { scimError } from './scim-errors.js';
import type { AttrDef } from './scim-schemas.js';

const bad = (why: string) => scimError('invalidPath', why);

function compareText(actual: string, op: CompareOp, wanted: string): boolean {
  switch (op) {
    case 'co':
      return actual.includes(wanted);
    case 'sw':
      return actual.startsWith(wanted);
    case 'ew':
      return actual.endsWith(wanted);
    default:
      return ordered(actual, op, wanted);
  }
}

function ordered<T extends string | number>(
  actual: T,
  op: Exclude<CompareOp, 'co' | 'sw' | 'ew'>,
  wanted: T,
): boolean {
  switch (op) {
    case 'eq':
      return actual === wanted;
    case 'ne':
      return actual !== wanted;
    case 'gt':
      return actual > wanted;
    case 'ge':
      return actual >= wanted;
    case 'lt':
      return actual < wanted;
    case 'le':
      return actual <= wanted;
  }
}

function compare(def: AttrDef, actual: unknown, op: CompareOp, wanted: CompValue): boolean {
  const missing = actual === undefined || actual === null;
  if (wanted === null) {
    if (op === 'eq') return missing;
    if (op === 'ne') return !missing;
    throw bad(`${def.name}: ${op} cannot compare with null`);
  }
  if (def.type === 'boolean') {
    if (typeof wanted === 'string' && /^(true|false)$/i.test(wanted))
      wanted = wanted.toLowerCase() === 'true';
    if (typeof wanted !== 'boolean' || (op !== 'eq' && op !== 'ne'))
      throw bad(`${def.name} compares with eq/ne true or false`);
    if (missing) return op === 'ne';
    return (actual === wanted) === (op === 'eq');
  }
  if (typeof wanted !== 'string') throw bad(`${def.name} compares with a string only`);
  if (missing) return op === 'ne';
  if (typeof actual !== 'string') return false;
  if (def.type === 'dateTime') {
    const w = Date.parse(wanted);
    if (!Number.isFinite(w)) throw bad(`${def.name} expects an ISO 8601 date-time`);
    if (op === 'co' || op === 'sw' || op === 'ew') throw bad(`a date-time does not support ${op}`);
    return ordered(Date.parse(actual), op, w);
  }
  return def.caseExact
    ? compareText(actual, op, wanted)
    : compareText(actual.toLowerCase(), op, wanted.toLowerCase());
}

/**
 * Whether one value of a multi-valued attribute (`emails`, `members`) satisfies the value
 * filter of a PATCH path such as `emails[type eq "work"]`, with the same semantics the SQL
 * filters have: case-insensitive unless the sub-attribute is caseExact, missing values unequal.
 */
export function matchesValue(filter: Filter, element: unknown, attr: AttrDef): boolean {
  switch (filter.kind) {
    case 'and':
      return filter.items.every((f) => matchesValue(f, element, attr));
    case 'or':
      return filter.items.some((f) => matchesValue(f, element, attr));
    case 'not':
      return !matchesValue(filter.item, element, attr);
    case 'valuePath':
      throw bad('value filters do not nest');
    default: {
      const def = findAttr(attr.subAttributes, filter.path.attr);
      if (!def) throw bad(`${attr.name} has no sub-attribute ${filter.path.attr}`);
      const actual = isObject(element) ? element[def.name] : undefined;
      if (filter.kind === 'present') return actual !== undefined && actual !== null && actual !== '';
      return compare(def, actual, filter.op, filter.value);
    }
  }
}

/**
 * The values a filter pins down with `eq` (`type eq "work" and primary eq true`), so that
 * `replace emails[type eq "work"].value` can create the work address when there is none, as
 * Entra ID expects; undefined when the filter does not describe one value that way.
 */
export function impliedValue(filter: Filter, attr: AttrDef): Record<string, unknown> | undefined {
  const terms = filter.kind === 'and' ? filter.items : [filter];
  const out: Record<string, unknown> = {};
  for (const t of terms) {
    if (t.kind !== 'compare' || t.op !== 'eq' || t.value === null) return undefined;
    const def = findAttr(attr.subAttributes, t.path.attr);
    if (!def) throw bad(`${attr.name} has no sub-attribute ${t.path.attr}`);
    out[def.name] = t.value;
  }
  return out;
}
