import { describe, expect, it } from 'vitest';
import { AppError, isAppError } from '../shared/errors.js';
import { BULK_LIMITS, type BulkOp, parseBulkRequest, runBulk } from './bulk.js';
import { scimError } from './scim-errors.js';

const post = (bulkId: string, data: Record<string, unknown> = {}) => ({
  method: 'POST',
  path: '/Users',
  bulkId,
  data,
});

/** An executor that records what it ran and creates ids from bulkIds. */
function recorder(fail: (op: BulkOp) => boolean = () => false) {
  const ran: BulkOp[] = [];
  const execute = async (op: BulkOp) => {
    ran.push(op);
    if (fail(op)) throw scimError('uniqueness', 'taken');
    return op.method === 'POST'
      ? { status: 201, id: `id-${op.bulkId}`, location: `/Users/id-${op.bulkId}`, version: 'W/"1"' }
      : { status: 200 };
  };
  return { ran, execute };
}

function parse(body: unknown) {
  return parseBulkRequest(body);
}

describe('parseBulkRequest', () => {
  it('refuses more than maxOperations with 413 tooMany', () => {
    const ops = Array.from({ length: BULK_LIMITS.maxOperations + 1 }, (_, i) => post(`b${i}`));
    try {
      parse({ Operations: ops });
      expect.unreachable();
    } catch (err) {
      expect(isAppError(err, 'PAYLOAD_TOO_LARGE')).toBe(true);
      expect((err as AppError).details?.scimType).toBe('tooMany');
    }
  });

  it.each([
    ['no Operations', {}],
    ['an unknown method', { Operations: [{ method: 'GET', path: '/Users' }] }],
    ['a POST without bulkId', { Operations: [{ method: 'POST', path: '/Users', data: {} }] }],
    ['a bulkId used twice', { Operations: [post('a'), post('a')] }],
    ['a PUT without data', { Operations: [{ method: 'PUT', path: '/Users/x' }] }],
    ['a relative path', { Operations: [{ method: 'DELETE', path: 'Users/x' }] }],
    ['failOnErrors 0', { failOnErrors: 0, Operations: [] }],
  ])('refuses %s with invalidSyntax', (_label, body) => {
    try {
      parse(body);
      expect.unreachable();
    } catch (err) {
      expect((err as AppError).details?.scimType).toBe('invalidSyntax');
    }
  });
});

describe('runBulk', () => {
  it('resolves bulkId references, running a referenced POST first even when it comes later', async () => {
    const { ran, execute } = recorder();
    const { ops } = parse({
      Operations: [
        {
          method: 'POST',
          path: '/Groups',
          bulkId: 'g',
          data: { displayName: 'G', members: [{ value: 'bulkId:u' }] },
        },
        post('u', { userName: 'u' }),
        { method: 'PATCH', path: '/Users/bulkId:u', data: { Operations: [] } },
      ],
    });
    const out = await runBulk(ops, undefined, execute);
    expect(ran.map((o) => o.bulkId ?? o.path)).toEqual(['u', 'g', '/Users/id-u']);
    expect(ran[1]!.data).toEqual({ displayName: 'G', members: [{ value: 'id-u' }] });
    expect(out.Operations.map((o) => o.status)).toEqual(['201', '201', '200']);
    expect(out.Operations[0]).toMatchObject({ bulkId: 'u', location: '/Users/id-u', version: 'W/"1"' });
  });

  it('answers 409 for circular, unknown and failed references, and runs nothing for them', async () => {
    const { ran, execute } = recorder((op) => op.bulkId === 'bad');
    const { ops } = parse({
      Operations: [
        post('a', { manager: { value: 'bulkId:b' } }),
        post('b', { manager: { value: 'bulkId:a' } }),
        post('c', { manager: { value: 'bulkId:nowhere' } }),
        post('bad'),
        post('d', { manager: { value: 'bulkId:bad' } }),
      ],
    });
    const out = await runBulk(ops, undefined, execute);
    const byId = Object.fromEntries(out.Operations.map((o) => [o.bulkId, o.status]));
    expect(byId).toEqual({ a: '409', b: '409', c: '409', bad: '409', d: '409' });
    expect(out.Operations.find((o) => o.bulkId === 'bad')!.response?.scimType).toBe('uniqueness');
    expect(ran.map((o) => o.bulkId)).toEqual(['bad']);
  });

  it('stops after failOnErrors errors and reports only what it processed', async () => {
    const { ran, execute } = recorder((op) => op.bulkId!.startsWith('x'));
    const { ops, failOnErrors } = parse({
      failOnErrors: 2,
      Operations: [post('x1'), post('ok1'), post('x2'), post('ok2')],
    });
    const out = await runBulk(ops, failOnErrors, execute);
    expect(out.Operations.map((o) => o.bulkId)).toEqual(['x1', 'ok1', 'x2']);
    expect(ran).toHaveLength(3);
  });

  it('turns any failure of an operation into a SCIM error entry, never a thrown error', async () => {
    const out = await runBulk(parse({ Operations: [post('a')] }).ops, undefined, async () => {
      throw new AppError('NOT_FOUND', 'gone');
    });
    expect(out.Operations[0]).toMatchObject({ status: '404', response: { status: '404', detail: 'gone' } });
  });
});
