import { impliedValue, matchesValue } from './filter-match.js';
import { type Filter, parsePatchPath } from './filter-parser.js';
import type { PatchOp } from './patch-request.js';
import {
  findAttr,
  findExtension,
  isIgnoredPath,
  isWritable,
  type ResolvedAttr,
  resolveAttr,
} from './resolve-attr.js';
import { canonValue, type Doc, isObject } from './resource-doc.js';
import { scimError } from './scim-errors.js';
import type { AttrDef, ResourceTypeDef } from './scim-schemas.js';

const OPTS = { unknown: 'invalidValue' } as const;
type Item = Record<string, unknown>;

/** Sets or (for null) removes a key; an emptied object or array disappears with it. */
function put(container: Doc, key: string, value: unknown): void {
  const empty =
    value === null ||
    (Array.isArray(value) && value.length === 0) ||
    (isObject(value) && Object.keys(value).length === 0);
  if (empty) delete container[key];
  else container[key] = value;
}

const itemsOf = (v: unknown): Item[] => (Array.isArray(v) ? v.filter(isObject) : []);

/** Whether two values of a multi-valued attribute are the same value (by their `value`). */
function sameValue(def: AttrDef, a: Item, b: Item): boolean {
  const valueDef = findAttr(def.subAttributes, 'value');
  if (!valueDef || typeof a.value !== 'string' || typeof b.value !== 'string') return false;
  return valueDef.caseExact ? a.value === b.value : a.value.toLowerCase() === b.value.toLowerCase();
}

/** A new primary value demotes the others (RFC 7643 §2.4: at most one primary). */
function keepOnePrimary(items: Item[], chosen: Item[]): void {
  if (!chosen.some((c) => c.primary === true)) return;
  for (const item of items) if (!chosen.includes(item) && item.primary === true) item.primary = false;
}

/** add/replace/remove on a multi-valued attribute without a value filter. */
function multi(container: Doc, r: ResolvedAttr, op: PatchOp): void {
  const def = r.attr;
  const current = itemsOf(container[def.name]);
  if (r.sub) {
    // `emails.value`: every value's sub-attribute (a first value when there is none).
    const v = op.op === 'remove' ? null : canonValue(r.sub, op.value, r.sub.name, OPTS);
    const targets = current.length > 0 || op.op === 'remove' ? current : [{}];
    for (const item of targets) put(item, r.sub.name, v);
    put(
      container,
      def.name,
      targets.filter((i) => Object.keys(i).length > 0),
    );
    return;
  }
  const given = op.value === undefined ? [] : itemsOf(canonValue(def, op.value, def.name, OPTS));
  if (op.op === 'remove') {
    // Entra ID's older shape: remove `members` with the values to remove; no value removes all.
    const kept =
      op.value === undefined || op.value === null
        ? []
        : current.filter((c) => !given.some((g) => sameValue(def, c, g)));
    put(container, def.name, kept);
    return;
  }
  if (op.op === 'replace') {
    put(container, def.name, given);
    return;
  }
  const added = given.filter((g) => !current.some((c) => sameValue(def, c, g)));
  const all = [...current, ...added];
  keepOnePrimary(all, added);
  put(container, def.name, all);
}

/** An operation on `attr[filter]` or `attr[filter].sub`. */
function filtered(container: Doc, r: ResolvedAttr, filter: Filter, op: PatchOp): void {
  const def = r.attr;
  if (!def.multiValued)
    throw scimError('invalidPath', `${def.name} is single-valued and takes no value filter`);
  const current = itemsOf(container[def.name]);
  const matched = current.filter((item) => matchesValue(filter, item, def));
  if (op.op === 'remove') {
    // Removing what is not there is already done (provisioning clients retry).
    if (r.sub) for (const item of matched) delete item[r.sub.name];
    else
      put(
        container,
        def.name,
        current.filter((item) => !matched.includes(item)),
      );
    put(
      container,
      def.name,
      itemsOf(container[def.name]).filter((i) => Object.keys(i).length > 0),
    );
    return;
  }
  const patch: Item = r.sub
    ? { [r.sub.name]: canonValue(r.sub, op.value, r.sub.name, OPTS) }
    : (itemsOf(canonValue(def, op.value, def.name, OPTS))[0] ?? {});
  if (matched.length === 0) {
    const implied = impliedValue(filter, def);
    if (!implied) throw scimError('noTarget', `no ${def.name} value matches the filter`);
    matched.push(implied);
    current.push(implied);
  }
  for (const item of matched) for (const [k, v] of Object.entries(patch)) put(item, k, v);
  keepOnePrimary(current, matched);
  put(container, def.name, current);
}

/** An operation on a single-valued attribute (simple, complex, or one sub-attribute of it). */
function single(container: Doc, r: ResolvedAttr, op: PatchOp): void {
  const def = r.attr;
  if (r.sub) {
    const obj: Item = isObject(container[def.name]) ? (container[def.name] as Item) : {};
    put(
      obj,
      r.sub.name,
      op.op === 'remove' ? null : canonValue(r.sub, op.value, `${def.name}.${r.sub.name}`, OPTS),
    );
    put(container, def.name, obj);
    return;
  }
  if (op.op === 'remove') {
    put(container, def.name, null);
    return;
  }
  const v = canonValue(def, op.value, def.name, OPTS);
  // A complex value merges: sub-attributes not given stay (RFC 7644 §3.5.2.1, §3.5.2.3).
  const merged =
    isObject(v) && isObject(container[def.name]) ? { ...(container[def.name] as Item), ...v } : v;
  put(container, def.name, merged);
}

/** A path-less add/replace: each key of the value object is an operation of its own. */
function pathless(rt: ResourceTypeDef, doc: Doc, op: PatchOp): void {
  if (op.op === 'remove') throw scimError('noTarget', 'remove needs a path');
  if (!isObject(op.value))
    throw scimError('invalidValue', 'an operation without a path takes an object value');
  for (const [key, value] of Object.entries(op.value)) {
    if (key.toLowerCase() === 'schemas') continue;
    const ext = findExtension(rt, key);
    if (ext && isObject(value)) {
      for (const [sub, v] of Object.entries(value))
        applyOne(rt, doc, { op: op.op, path: `${ext.id}:${sub}`, value: v }, true);
    } else {
      applyOne(rt, doc, { op: op.op, path: key, value }, true);
    }
  }
}

/**
 * One operation. Read-only targets are a `mutability` error when named by a path, and are
 * skipped inside a path-less value (Okta sends the group's `id` there); derived and known but
 * unkept attributes are skipped.
 */
function applyOne(rt: ResourceTypeDef, doc: Doc, op: PatchOp, inValue = false): void {
  if (op.path === null) {
    pathless(rt, doc, op);
    return;
  }
  const { path, filter } = parsePatchPath(op.path);
  if (isIgnoredPath(rt, path)) return;
  const r = resolveAttr(rt, path);
  if (!r) throw scimError('invalidPath', `unknown attribute ${op.path.slice(0, 200)}`);
  if (r.attr.derived || r.sub?.derived) return;
  if (!isWritable(r.attr) || (r.sub && !isWritable(r.sub))) {
    if (inValue) return;
    throw scimError('mutability', `${op.path.slice(0, 200)} is read-only`);
  }
  if (op.op !== 'remove' && op.value === undefined) throw scimError('invalidValue', `${op.op} needs a value`);
  let container = doc;
  if (r.container) {
    container = isObject(doc[r.container]) ? (doc[r.container] as Doc) : {};
    doc[r.container] = container;
  }
  if (filter) filtered(container, r, filter, op);
  else if (r.attr.multiValued) multi(container, r, op);
  else single(container, r, op);
  if (r.container && Object.keys(container).length === 0) delete doc[r.container];
}

/**
 * Applies PATCH operations (RFC 7644 §3.5.2) to a copy of a resource document and returns the
 * copy; the input is never touched, so a failing operation leaves nothing half-applied. The
 * caller validates the result as a whole before writing it once.
 */
export function applyPatch(rt: ResourceTypeDef, doc: Doc, ops: readonly PatchOp[]): Doc {
  const out = structuredClone(doc);
  for (const op of ops) applyOne(rt, out, op);
  return out;
}
