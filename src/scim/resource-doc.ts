import { findAttr, findExtension, isIgnored, isWritable } from './resolve-attr.js';
import { type ScimType, scimError } from './scim-errors.js';
import type { AttrDef, ResourceTypeDef } from './scim-schemas.js';

/** A resource as JSON with canonical attribute names; extension attributes under their URN. */
export type Doc = Record<string, unknown>;

/** Whether a value is a plain JSON object. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** How strange input is reported: invalidValue in bodies, invalidPath for PATCH paths. */
export interface CanonOptions {
  unknown: ScimType;
}

/**
 * A client's value for `def`, checked and in canonical shape. Lenient where real clients
 * differ from the RFC: "True"/"False" strings for booleans (Entra ID), a bare id or a one-item
 * array for a single complex attribute with a `value` (Entra's manager), one value for a
 * multi-valued attribute. Read-only and derived sub-attributes are dropped.
 */
export function canonValue(def: AttrDef, value: unknown, where: string, opts: CanonOptions): unknown {
  if (value === null || value === undefined) return null;
  if (def.multiValued) {
    const items = Array.isArray(value) ? value : [value];
    return items.filter((v) => v !== null).map((v, i) => canonSingle(def, v, `${where}[${i}]`, opts));
  }
  return canonSingle(def, value, where, opts);
}

function canonSingle(def: AttrDef, value: unknown, where: string, opts: CanonOptions): unknown {
  switch (def.type) {
    case 'complex': {
      let v = value;
      if (!def.multiValued && Array.isArray(v) && v.length <= 1) v = v[0] ?? null;
      if (v === null) return null;
      if (typeof v === 'string' && findAttr(def.subAttributes, 'value')) v = { value: v };
      if (!isObject(v)) throw scimError('invalidValue', `${where} must be an object`);
      return canonObject(def.subAttributes ?? [], def.ignoredSubs, v, where, opts);
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      throw scimError('invalidValue', `${where} must be true or false`);
    case 'integer':
    case 'decimal':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      throw scimError('invalidValue', `${where} must be a number`);
    default:
      // PostgreSQL text cannot hold NUL; refusing it here keeps both dialects alike.
      if (typeof value === 'string' && value.includes('\u0000'))
        throw scimError('invalidValue', `${where} holds NUL`);
      if (typeof value === 'string') return value;
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
      throw scimError('invalidValue', `${where} must be a string`);
  }
}

/** An object's attributes against `defs`, by canonical name; unknown names are refused. */
export function canonObject(
  defs: readonly AttrDef[],
  ignored: readonly string[] | undefined,
  input: Record<string, unknown>,
  where: string,
  opts: CanonOptions,
): Doc {
  const out: Doc = {};
  for (const [key, value] of Object.entries(input)) {
    const def = findAttr(defs, key);
    const at = where ? `${where}.${key}` : key;
    if (!def) {
      if (isIgnored(ignored, key)) continue;
      throw scimError(opts.unknown, `unknown attribute ${at.slice(0, 200)}`);
    }
    if (!isWritable(def)) continue;
    if (Object.hasOwn(out, def.name)) throw scimError('invalidValue', `${at} is given twice`);
    out[def.name] = canonValue(def, value, at, opts);
  }
  return out;
}

/**
 * A resource body (POST, PUT, a bulk operation's data) in canonical form: attribute names as
 * the schema spells them, values type-checked, read-only attributes (id, meta, groups) dropped
 * as RFC 7644 §3.5.1 asks, known attributes this server does not keep dropped, anything else
 * refused.
 */
export function canonResource(rt: ResourceTypeDef, body: unknown, opts: CanonOptions): Doc {
  if (!isObject(body)) throw scimError('invalidSyntax', 'the body must be a JSON object');
  const core: Record<string, unknown> = {};
  const out: Doc = {};
  for (const [key, value] of Object.entries(body)) {
    if (key.toLowerCase() === 'schemas') {
      if (!Array.isArray(value) || !value.every((s) => typeof s === 'string')) {
        throw scimError('invalidValue', 'schemas must be an array of URIs');
      }
      continue;
    }
    const ext = findExtension(rt, key);
    if (!ext) {
      core[key] = value;
      continue;
    }
    if (value === null) continue;
    if (!isObject(value)) throw scimError('invalidValue', `${ext.id} must be an object`);
    out[ext.id] = canonObject(ext.attributes, ext.ignored, value, ext.id, opts);
  }
  return { ...canonObject([...rt.common, ...rt.core.attributes], rt.core.ignored, core, '', opts), ...out };
}
