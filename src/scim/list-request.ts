import { type AttrPath, type Filter, parseFilter, splitAttrPath } from './filter-parser.js';
import { parseProjection, type Projection } from './projection.js';
import { isObject } from './resource-doc.js';
import { scimError } from './scim-errors.js';
import type { ResourceTypeDef } from './scim-schemas.js';

/** Page sizes: the default, and the most one answer carries (advertised as filter.maxResults). */
export const LIST_LIMITS = { defaultCount: 100, maxResults: 1000 } as const;

/** A list or search request (RFC 7644 §3.4.2, §3.4.3), checked. */
export interface ListRequest {
  filter: Filter | null;
  /** 1-based. */
  startIndex: number;
  count: number;
  sortBy: { text: string; path: AttrPath | undefined } | null;
  descending: boolean;
  projection: Projection;
}

function str(input: Record<string, unknown>, key: string): string | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && key !== 'filter') return String(v);
  throw scimError('invalidValue', `${key} must be given once, as a string`);
}

function int(input: Record<string, unknown>, key: string): number | undefined {
  const v = str(input, key);
  if (v === undefined || v.trim() === '') return undefined;
  if (!/^-?\d{1,12}$/.test(v.trim())) throw scimError('invalidValue', `${key} must be an integer`);
  return Number(v);
}

/**
 * Reads filter, paging, sorting and projection from a query string or a `.search` body. As RFC
 * 7644 §3.4.2.4 says, a startIndex below 1 means 1 and a negative count means 0; a count above
 * maxResults is cut to it.
 */
export function parseListRequest(rt: ResourceTypeDef, raw: unknown): ListRequest {
  const input = isObject(raw) ? raw : {};
  const filterText = str(input, 'filter');
  const sortBy = str(input, 'sortBy')?.trim();
  const order = str(input, 'sortOrder')?.toLowerCase();
  if (order !== undefined && order !== 'ascending' && order !== 'descending') {
    throw scimError('invalidValue', 'sortOrder must be ascending or descending');
  }
  const start = int(input, 'startIndex') ?? 1;
  const count = int(input, 'count') ?? LIST_LIMITS.defaultCount;
  return {
    filter: filterText === undefined || filterText.trim() === '' ? null : parseFilter(filterText),
    startIndex: Math.max(1, start),
    count: Math.min(Math.max(0, count), LIST_LIMITS.maxResults),
    sortBy: sortBy ? { text: sortBy, path: splitAttrPath(sortBy) } : null,
    descending: order === 'descending',
    projection: projectionOf(rt, input),
  };
}

/** The projection `attributes` / `excludedAttributes` ask for, from a query string or a `.search` body. */
export function projectionOf(rt: ResourceTypeDef, raw: unknown): Projection {
  const input = isObject(raw) ? raw : {};
  return parseProjection(rt, listOf(input, 'attributes'), listOf(input, 'excludedAttributes'));
}

/** `attributes` as a comma-separated string (query) or an array of strings (.search body). */
function listOf(input: Record<string, unknown>, key: string): string | undefined {
  const v = input[key];
  // An array: a .search body, or the parameter given more than once in a query string.
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v.join(',');
  const s = str(input, key);
  if (s !== undefined && s.length > 4000) throw scimError('invalidValue', `${key} is too long`);
  return s;
}
