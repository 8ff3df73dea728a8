import { isObject } from './resource-doc.js';
import { scimError } from './scim-errors.js';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** Most operations one PATCH may carry (the body limit bounds it anyway; this keeps work linear). */
export const MAX_PATCH_OPERATIONS = 1000;

/** One PATCH operation, with the op name folded to lower case (Entra ID sends "Replace"). */
export interface PatchOp {
  op: 'add' | 'replace' | 'remove';
  path: string | null;
  value: unknown;
}

const OPS = new Set(['add', 'replace', 'remove']);

/** A key of `obj` regardless of case (clients write `Operations`, `operations`, `Value`). */
function get(obj: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : obj[key];
}

/**
 * Checks a PatchOp message (RFC 7644 §3.5.2) and returns its operations. A malformed message
 * is 400 invalidSyntax; nothing has been applied by then.
 */
export function parsePatchRequest(body: unknown): PatchOp[] {
  if (!isObject(body)) throw scimError('invalidSyntax', 'the body must be a PatchOp JSON object');
  const schemas = get(body, 'schemas');
  if (
    schemas !== undefined &&
    !(
      Array.isArray(schemas) &&
      schemas.some((s) => typeof s === 'string' && s.toLowerCase() === PATCH_OP_SCHEMA.toLowerCase())
    )
  ) {
    throw scimError('invalidSyntax', `schemas must name ${PATCH_OP_SCHEMA}`);
  }
  const operations = get(body, 'operations');
  if (!Array.isArray(operations)) throw scimError('invalidSyntax', 'Operations must be an array');
  if (operations.length > MAX_PATCH_OPERATIONS) {
    throw scimError('invalidSyntax', `at most ${MAX_PATCH_OPERATIONS} operations per PATCH`);
  }
  return operations.map((raw, i) => {
    if (!isObject(raw)) throw scimError('invalidSyntax', `Operations[${i}] must be an object`);
    const op = get(raw, 'op');
    if (typeof op !== 'string' || !OPS.has(op.toLowerCase())) {
      throw scimError('invalidSyntax', `Operations[${i}].op must be add, replace or remove`);
    }
    const path = get(raw, 'path');
    if (path !== undefined && path !== null && (typeof path !== 'string' || path.trim() === '')) {
      throw scimError('invalidPath', `Operations[${i}].path must be a non-empty string`);
    }
    return {
      op: op.toLowerCase() as PatchOp['op'],
      path: (path as string | undefined)?.trim() ?? null,
      value: get(raw, 'value'),
    };
  });
}
