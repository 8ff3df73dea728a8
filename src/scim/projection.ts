import { splitAttrPath } from './filter-parser.js';
import { findExtension, resolveAttr } from './resolve-attr.js';
import { type Doc, isObject } from './resource-doc.js';
import type { ResourceTypeDef } from './scim-schemas.js';

/** One selected attribute: a whole extension (attr null), an attribute, or a sub-attribute. */
interface Selection {
  container: string | null;
  attr: string | null;
  sub: string | null;
}

/** Which attributes an answer carries (RFC 7644 §3.4.2.5, §3.9). */
export type Projection =
  | { mode: 'all' }
  | { mode: 'include'; sels: Selection[] }
  | { mode: 'exclude'; sels: Selection[] };

/** Returned whatever is asked (RFC 7643 §7: `returned: always`). */
const ALWAYS = new Set(['schemas', 'id']);

function selections(rt: ResourceTypeDef, list: string): Selection[] {
  const out: Selection[] = [];
  for (const item of list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .slice(0, 100)) {
    const ext = findExtension(rt, item);
    if (ext) {
      out.push({ container: ext.id, attr: null, sub: null });
      continue;
    }
    const path = splitAttrPath(item);
    const r = path ? resolveAttr(rt, path) : undefined;
    // An attribute this server does not know is simply not there to return.
    if (r) out.push({ container: r.container, attr: r.attr.name, sub: r.sub?.name ?? null });
  }
  return out;
}

/** The projection `attributes` / `excludedAttributes` ask for; `attributes` wins when both are given. */
export function parseProjection(rt: ResourceTypeDef, attributes?: string, excluded?: string): Projection {
  if (attributes?.trim()) return { mode: 'include', sels: selections(rt, attributes) };
  if (excluded?.trim()) return { mode: 'exclude', sels: selections(rt, excluded) };
  return { mode: 'all' };
}

/** Whether the answer carries a core attribute (so its rows need loading: members, groups). */
export function carries(p: Projection, attr: string): boolean {
  const named = (s: Selection) => s.container === null && s.attr === attr;
  if (p.mode === 'include') return p.sels.some(named);
  if (p.mode === 'exclude') return !p.sels.some((s) => named(s) && s.sub === null);
  return true;
}

function include(doc: Doc, sels: Selection[]): Doc {
  const out: Doc = { schemas: doc.schemas, id: doc.id };
  const whole = new Set<string>();
  for (const s of sels) {
    const src = s.container ? doc[s.container] : doc;
    if (!isObject(src)) continue;
    if (s.attr === null) {
      out[s.container!] = src;
      whole.add(`${s.container}`);
      continue;
    }
    const key = `${s.container}:${s.attr}`;
    const v = src[s.attr];
    if (v === undefined || whole.has(key) || whole.has(`${s.container}`)) continue;
    if (s.container && !isObject(out[s.container])) out[s.container] = {};
    const dst = s.container ? (out[s.container] as Doc) : out;
    if (s.sub === null || (!Array.isArray(v) && !isObject(v))) {
      dst[s.attr] = v;
      whole.add(key);
    } else if (Array.isArray(v)) {
      const prev = (dst[s.attr] as Doc[] | undefined) ?? [];
      dst[s.attr] = v.map((el: Doc, i) => ({
        ...prev[i],
        ...(el[s.sub!] !== undefined ? { [s.sub!]: el[s.sub!] } : {}),
      }));
    } else if (v[s.sub] !== undefined) {
      dst[s.attr] = { ...(dst[s.attr] as Doc | undefined), [s.sub]: v[s.sub] };
    }
  }
  return out;
}

function exclude(doc: Doc, sels: Selection[]): Doc {
  const out = structuredClone(doc);
  for (const s of sels) {
    if (s.container === null && s.attr !== null && ALWAYS.has(s.attr)) continue;
    if (s.attr === null) {
      delete out[s.container!];
      continue;
    }
    const c = s.container ? out[s.container] : out;
    if (!isObject(c)) continue;
    const v = c[s.attr];
    if (s.sub === null) {
      delete c[s.attr];
    } else if (Array.isArray(v)) {
      for (const el of v) if (isObject(el)) delete el[s.sub];
    } else if (isObject(v)) {
      delete v[s.sub];
    }
    if (s.container && Object.keys(c).length === 0) delete out[s.container];
  }
  return out;
}

/** Applies a projection to a rendered resource; `schemas` lists only the schemas still present. */
export function project(p: Projection, doc: Doc): Doc {
  if (p.mode === 'all') return doc;
  const out = p.mode === 'include' ? include(doc, p.sels) : exclude(doc, p.sels);
  if (Array.isArray(out.schemas)) {
    out.schemas = out.schemas.filter((s: string, i: number) => i === 0 || isObject(out[s]));
  }
  return out;
}
