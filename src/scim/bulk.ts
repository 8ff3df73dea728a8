import { isObject } from './resource-doc.js';
import { SCIM_ERROR_SCHEMA, type ScimErrorBody, scimError, toScimError } from './scim-errors.js';

export const BULK_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const BULK_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

/** Advertised in ServiceProviderConfig and enforced (RFC 7644 §3.7.4). */
export const BULK_LIMITS = { maxOperations: 1000, maxPayloadSize: 1_048_576 } as const;

const METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type BulkMethod = (typeof METHODS)[number];

/** One operation of a BulkRequest, checked. */
export interface BulkOp {
  method: BulkMethod;
  bulkId: string | undefined;
  version: string | undefined;
  path: string;
  data: unknown;
}

/** One operation's outcome in the BulkResponse. */
export interface BulkOpResult {
  method: BulkMethod;
  bulkId?: string;
  version?: string;
  location?: string;
  status: string;
  response?: ScimErrorBody;
}

/** What running one operation yields: the status, and for a write the new resource's id. */
export interface BulkOutcome {
  status: number;
  id?: string;
  location?: string;
  version?: string;
}

function field(obj: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : obj[key];
}

/** Checks a BulkRequest; more than maxOperations is 413 (tooMany), a malformed one 400 invalidSyntax. */
export function parseBulkRequest(body: unknown): { failOnErrors: number | undefined; ops: BulkOp[] } {
  if (!isObject(body)) throw scimError('invalidSyntax', 'the body must be a BulkRequest object');
  const ops = field(body, 'Operations');
  if (!Array.isArray(ops)) throw scimError('invalidSyntax', 'Operations must be an array');
  if (ops.length > BULK_LIMITS.maxOperations) {
    throw scimError('tooMany', `at most ${BULK_LIMITS.maxOperations} operations per bulk request`);
  }
  const failOnErrors = field(body, 'failOnErrors');
  if (failOnErrors !== undefined && !(Number.isInteger(failOnErrors) && (failOnErrors as number) >= 1)) {
    throw scimError('invalidSyntax', 'failOnErrors must be a positive integer');
  }
  const seen = new Set<string>();
  const parsed = ops.map((raw, i): BulkOp => {
    const where = `Operations[${i}]`;
    if (!isObject(raw)) throw scimError('invalidSyntax', `${where} must be an object`);
    const method = String(field(raw, 'method') ?? '').toUpperCase() as BulkMethod;
    if (!METHODS.includes(method))
      throw scimError('invalidSyntax', `${where}.method must be POST, PUT, PATCH or DELETE`);
    const path = field(raw, 'path');
    if (typeof path !== 'string' || !path.startsWith('/') || path.length > 300) {
      throw scimError('invalidSyntax', `${where}.path must be a resource path such as /Users`);
    }
    const bulkId = field(raw, 'bulkId');
    if (bulkId !== undefined && (typeof bulkId !== 'string' || bulkId.length === 0 || bulkId.length > 100)) {
      throw scimError('invalidSyntax', `${where}.bulkId must be a string`);
    }
    if (method === 'POST' && bulkId === undefined)
      throw scimError('invalidSyntax', `${where}: POST needs a bulkId`);
    if (typeof bulkId === 'string') {
      if (seen.has(bulkId)) throw scimError('invalidSyntax', `bulkId ${bulkId} is used twice`);
      seen.add(bulkId);
    }
    const data = field(raw, 'data');
    if (method !== 'DELETE' && !isObject(data))
      throw scimError('invalidSyntax', `${where}.data must be an object`);
    const version = field(raw, 'version');
    return {
      method,
      path,
      bulkId: bulkId as string | undefined,
      version: typeof version === 'string' ? version : undefined,
      data,
    };
  });
  return { failOnErrors: failOnErrors as number | undefined, ops: parsed };
}

const REF = /^bulkId:(.+)$/;

/** Every `bulkId:x` an operation names, in its path and anywhere in its data. */
function references(op: BulkOp): Set<string> {
  const out = new Set<string>();
  const walk = (v: unknown, depth: number): void => {
    if (depth > 64) return;
    if (typeof v === 'string') {
      const m = REF.exec(v);
      if (m) out.add(m[1]!);
    } else if (Array.isArray(v)) for (const x of v) walk(x, depth + 1);
    else if (isObject(v)) for (const x of Object.values(v)) walk(x, depth + 1);
  };
  for (const segment of op.path.split('/')) walk(segment, 0);
  walk(op.data, 0);
  return out;
}

/** The operation with every `bulkId:x` replaced by the id the POST of `x` created. */
function substitute(op: BulkOp, ids: Map<string, string>): BulkOp {
  const swap = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const m = REF.exec(v);
      return m && ids.has(m[1]!) ? ids.get(m[1]!) : v;
    }
    if (Array.isArray(v)) return v.map(swap);
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, swap(x)]));
    return v;
  };
  return {
    ...op,
    path: op.path
      .split('/')
      .map((s) => swap(s) as string)
      .join('/'),
    data: swap(op.data),
  };
}

function failure(op: BulkOp, body: ScimErrorBody): BulkOpResult {
  return {
    method: op.method,
    ...(op.bulkId ? { bulkId: op.bulkId } : {}),
    status: body.status,
    response: body,
  };
}

const conflict = (detail: string): ScimErrorBody => ({ schemas: [SCIM_ERROR_SCHEMA], status: '409', detail });

/**
 * Runs a BulkRequest (RFC 7644 §3.7): each operation on its own (one transaction each, as a
 * single request would be), an operation that names `bulkId:x` after the POST of `x` (waiting
 * for it when it comes later in the list), until `failOnErrors` errors. References that cannot
 * be resolved — unknown, failed or circular — are 409 for the operation that makes them.
 */
export async function runBulk(
  ops: readonly BulkOp[],
  failOnErrors: number | undefined,
  execute: (op: BulkOp) => Promise<BulkOutcome>,
): Promise<{ schemas: [typeof BULK_RESPONSE_SCHEMA]; Operations: BulkOpResult[] }> {
  const ids = new Map<string, string>();
  const results: BulkOpResult[] = [];
  let pending = [...ops];
  const refs = new Map(ops.map((op) => [op, [...references(op)]]));
  let errors = 0;
  while (pending.length > 0 && (failOnErrors === undefined || errors < failOnErrors)) {
    const waiting = new Set(pending.map((o) => o.bulkId).filter((b): b is string => b !== undefined));
    const ready = pending.find((op) => !refs.get(op)!.some((r) => waiting.has(r) && r !== op.bulkId));
    // Nothing is ready: every remaining operation waits on another (a cycle); run the first to fail it.
    const op = ready ?? pending[0]!;
    pending = pending.filter((o) => o !== op);
    const unresolved = refs.get(op)!.filter((r) => !ids.has(r));
    let result: BulkOpResult;
    if (unresolved.length > 0) {
      result = failure(
        op,
        conflict(`bulkId ${unresolved[0]} cannot be resolved (unknown, failed or circular)`),
      );
    } else {
      try {
        const out = await execute(substitute(op, ids));
        if (op.bulkId && out.id) ids.set(op.bulkId, out.id);
        result = {
          method: op.method,
          ...(op.bulkId ? { bulkId: op.bulkId } : {}),
          ...(out.version ? { version: out.version } : {}),
          ...(out.location ? { location: out.location } : {}),
          status: String(out.status),
        };
      } catch (err) {
        result = failure(op, toScimError(err));
      }
    }
    if (result.response) errors += 1;
    results.push(result);
  }
  return { schemas: [BULK_RESPONSE_SCHEMA], Operations: results };
}
