import type { AttrPath } from './filter-parser.js';
import type { AttrDef, ResourceTypeDef, SchemaDef } from './scim-schemas.js';

/** An attribute path resolved against a resource type, with canonical names. */
export interface ResolvedAttr {
  /** The extension schema URN that holds the attribute, or null for core and common ones. */
  container: string | null;
  attr: AttrDef;
  sub: AttrDef | null;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The attribute of that name, regardless of case (RFC 7643 §2.1: names are case-insensitive). */
export function findAttr(defs: readonly AttrDef[] | undefined, name: string): AttrDef | undefined {
  return defs?.find((d) => same(d.name, name));
}

/** The extension schema whose URN is exactly `urn`, regardless of case. */
export function findExtension(rt: ResourceTypeDef, urn: string): SchemaDef | undefined {
  return rt.extensions.find((e) => same(e.id, urn));
}

/** Whether a name is one of the standard attributes this server accepts but does not keep. */
export function isIgnored(names: readonly string[] | undefined, name: string): boolean {
  return names?.some((n) => same(n, name)) ?? false;
}

/**
 * Resolves `[urn:]attr[.sub]`: a URN picks the core or an extension schema; without one the
 * core and common attributes come first, then the extensions (clients often drop the URN).
 */
export function resolveAttr(rt: ResourceTypeDef, path: AttrPath): ResolvedAttr | undefined {
  let container: string | null = null;
  let attr: AttrDef | undefined;
  if (path.urn === null || same(path.urn, rt.core.id)) {
    attr = findAttr(rt.common, path.attr) ?? findAttr(rt.core.attributes, path.attr);
  }
  if (!attr) {
    const candidates = path.urn === null ? rt.extensions : rt.extensions.filter((e) => same(e.id, path.urn!));
    for (const ext of candidates) {
      attr = findAttr(ext.attributes, path.attr);
      if (attr) {
        container = ext.id;
        break;
      }
    }
  }
  if (!attr) return undefined;
  if (path.sub === null) return { container, attr, sub: null };
  const sub = findAttr(attr.subAttributes, path.sub);
  return sub ? { container, attr, sub } : undefined;
}

/** Whether the path names a known attribute this server drops (e.g. phoneNumbers, name.middleName). */
export function isIgnoredPath(rt: ResourceTypeDef, path: AttrPath): boolean {
  const all = [rt.core, ...rt.extensions];
  const schemas = path.urn === null ? all : all.filter((s) => same(s.id, path.urn!));
  if (schemas.some((s) => isIgnored(s.ignored, path.attr))) return true;
  if (path.sub === null) return false;
  const owner = resolveAttr(rt, { ...path, sub: null });
  return owner !== undefined && isIgnored(owner.attr.ignoredSubs, path.sub);
}

/** The canonical key of a resolved path: `[urn:]attr[.sub]` with the schema's spelling. */
export function canonicalKey(r: ResolvedAttr): string {
  const head = r.container ? `${r.container}:${r.attr.name}` : r.attr.name;
  return r.sub ? `${head}.${r.sub.name}` : head;
}

/** Whether a client may write the attribute (readOnly and derived ones are not written). */
export function isWritable(def: AttrDef): boolean {
  return def.mutability !== 'readOnly' && !def.derived;
}
