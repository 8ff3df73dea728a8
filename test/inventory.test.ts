import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPskc } from '../src/authenticators/inventory/read-pskc.js';
import { hotp } from '../src/authenticators/otp/index.js';
import { isAppError } from '../src/shared/errors.js';
import { DIALECTS } from './support/databases.js';
import { createPerson } from './support/people.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';

const VECTORS = new URL('../../shared/vectors/', import.meta.url);
const vector = (path: string) => readFileSync(new URL(path, VECTORS), 'utf8');

/** The seed of RFC 6030 figures 6 and 7 (the RFC 4226 test seed); their tokens show 8 digits. */
const SEED = Buffer.from('12345678901234567890');
const code = (counter: number) => hotp(SEED, counter, { algorithm: 'SHA1', digits: 8 });
const SERIAL = '987654321';

/** A plain PSKC container of HOTP tokens: [serial, base64 secret] per key package. */
function plainPskc(packages: Array<[string, string]>): string {
  const body = packages
    .map(
      ([serial, secret]) => `<KeyPackage>
    <DeviceInfo><Manufacturer>Acme</Manufacturer><Model>K1</Model><SerialNo>${serial}</SerialNo></DeviceInfo>
    <Key Id="${serial}" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp">
      <AlgorithmParameters><ResponseFormat Length="6" Encoding="DECIMAL"/></AlgorithmParameters>
      <Data><Secret><PlainValue>${secret}</PlainValue></Secret><Counter><PlainValue>0</PlainValue></Counter></Data>
    </Key>
  </KeyPackage>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">${body}</KeyContainer>`;
}

interface View {
  id: string;
  serial: string;
  type: string;
  state: string;
  userId: string | null;
  name: string | null;
  lastUsedAt: string | null;
}

describe.each(DIALECTS)('hardware-token inventory on %s', (dialect) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
    app = await rt.app();
    for (const role of ['admin', 'helpdesk', 'auditor', 'approver', 'validator'])
      tokens[role] = await rt.token(role);
  });
  afterAll(() => rt.dispose());

  const auth = (role: string) => ({ authorization: `Bearer ${tokens[role]}` });
  const inventory = async (role = 'admin') => {
    const res = await app.inject({ url: '/api/v1/inventory', headers: auth(role) });
    expect(res.statusCode).toBe(200);
    return res.json() as View[];
  };
  const find = async (serial: string) => (await inventory()).find((v) => v.serial === serial);
  const assign = (serial: string, payload: unknown, role = 'admin') =>
    app.inject({
      method: 'POST',
      url: `/api/v1/inventory/${encodeURIComponent(serial)}/assign`,
      headers: auth(role),
      payload: payload as Record<string, unknown>,
    });
  const unassign = (serial: string, payload?: unknown, role = 'helpdesk') =>
    app.inject({
      method: 'POST',
      url: `/api/v1/inventory/${encodeURIComponent(serial)}/unassign`,
      headers: auth(role),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const validate = (username: string, c: string) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/validate',
      headers: auth('validator'),
      payload: { username, code: c },
    });
  const authenticatorCount = async () =>
    Number(
      (
        await rt.ctx.store.db
          .selectFrom('authenticators')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('imports RFC 6030 figure 6 (pre-shared AES key): on the shelf, pending, no secret in any answer', async () => {
    const tokens6 = readPskc(vector('pskc-rfc6030/figure6.xml'), {
      keyHex: '12345678901234567890123456789012',
    });
    expect(await rt.services.inventory.importTokens({ label: 'test' }, tokens6, 'figure6')).toEqual({
      imported: 1,
      serials: [SERIAL],
    });
    const res = await app.inject({ url: '/api/v1/inventory', headers: auth('auditor') });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([
      expect.objectContaining({
        serial: SERIAL,
        type: 'hotp',
        state: 'pending',
        userId: null,
        name: 'Manufacturer',
      }),
    ]);
    for (const leak of [SEED.toString(), SEED.toString('hex'), SEED.toString('base64'), 'secret', 'params']) {
      expect(res.body).not.toContain(leak);
    }
  });

  it('importing the same file twice: PSKC_DUPLICATE_SERIAL, row count unchanged', async () => {
    const before = await authenticatorCount();
    const again = readPskc(vector('pskc-rfc6030/figure6.xml'), {
      keyHex: '12345678901234567890123456789012',
    });
    const err = await rt.services.inventory.importTokens({ label: 'test' }, again, 'figure6').catch((e) => e);
    expect(isAppError(err, 'PSKC_DUPLICATE_SERIAL')).toBe(true);
    expect((err as Error).message).toContain(SERIAL);
    // Figure 7 carries the same serial (and seed): refused too.
    const seven = readPskc(vector('pskc-rfc6030/figure7.xml'), { password: 'qwerty' });
    expect(
      isAppError(
        await rt.services.inventory.importTokens({ label: 'test' }, seven, 'figure7').catch((e) => e),
        'PSKC_DUPLICATE_SERIAL',
      ),
    ).toBe(true);
    expect(await authenticatorCount()).toBe(before);
  });

  it('a file whose second token is bad imports nothing', async () => {
    const before = await authenticatorCount();
    const good = Buffer.alloc(20, 1).toString('base64');
    const short = Buffer.alloc(10, 2).toString('base64');
    const xml = plainPskc([
      ['GOOD-0001', good],
      ['BAD-0002', short],
    ]);
    const err = await Promise.resolve()
      .then(() => rt.services.inventory.importTokens({ label: 'test' }, readPskc(xml), 'bad'))
      .catch((e) => e);
    expect(isAppError(err, 'PSKC_INVALID')).toBe(true);
    expect(await authenticatorCount()).toBe(before);
    expect(await find('GOOD-0001')).toBeUndefined();
  });

  it('assign → pending with its holder; the HOTP code for counter 0 activates it, once', async () => {
    const alice = await createPerson(rt, 'hw-alice');
    const res = await assign(SERIAL, { userId: alice.id }, 'helpdesk');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ serial: SERIAL, userId: alice.id, state: 'pending' });
    expect(await find(SERIAL)).toMatchObject({ userId: alice.id, state: 'pending', lastUsedAt: null });

    expect(code(0)).toBe('84755224'); // RFC 4226 Appendix D, counter 0, as 8 digits
    expect((await validate('hw-alice', code(0))).json()).toEqual({ result: 'accept' });
    const after = await find(SERIAL);
    expect(after).toMatchObject({ userId: alice.id, state: 'active' });
    expect(after?.lastUsedAt).not.toBeNull();
    expect((await validate('hw-alice', code(0))).json()).toEqual({ result: 'reject' });
  });

  it('unassign returns it to the shelf; no code it ever produced works again', async () => {
    const alice = (await find(SERIAL))!.userId!;
    const res = await unassign(SERIAL, { reason: 'left the company' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ serial: SERIAL, userId: null, state: 'pending' });
    expect(await find(SERIAL)).toMatchObject({ userId: null, state: 'pending' });
    expect((await validate('hw-alice', code(1))).json()).toEqual({ result: 'reject' });
    expect((await unassign(SERIAL)).statusCode).toBe(409);

    const bob = await createPerson(rt, 'hw-bob');
    expect((await assign(SERIAL, { userId: bob.id })).statusCode).toBe(200);
    expect((await validate('hw-bob', code(0))).json()).toEqual({ result: 'reject' });
    expect((await validate('hw-bob', code(1))).json()).toEqual({ result: 'accept' });
    expect(await find(SERIAL)).toMatchObject({ userId: bob.id, state: 'active' });
    const history = (await rt.services.audit.forSubject(alice)).map((e) => e.action);
    expect(history).toEqual(expect.arrayContaining(['inventory.assigned', 'inventory.returned']));
  });

  it('two concurrent assigns of one serial to two people: exactly one succeeds', async () => {
    const secret = Buffer.alloc(20, 3).toString('base64');
    await rt.services.inventory.importTokens(
      { label: 'test' },
      readPskc(plainPskc([['RACE-1', secret]])),
      'race',
    );
    const [p1, p2] = await Promise.all([createPerson(rt, 'hw-race-1'), createPerson(rt, 'hw-race-2')]);
    const answers = await Promise.all([
      assign('RACE-1', { userId: p1.id }),
      assign('RACE-1', { userId: p2.id }),
    ]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409]);
    const loser = answers.find((a) => a.statusCode === 409)!;
    expect(loser.headers['content-type']).toContain('application/problem+json');
    const winner = (answers.find((a) => a.statusCode === 200)!.json() as View).userId;
    expect((await find('RACE-1'))?.userId).toBe(winner);
    expect(
      (await app.inject({ url: '/api/v1/inventory?assigned=false', headers: auth('admin') })).json(),
    ).toEqual([]);
  });

  it('refuses bad input with 4xx problem+json, never a 500, changing nothing', async () => {
    const person = await createPerson(rt, 'hw-input');
    const spare = readPskc(plainPskc([['SPARE-1', Buffer.alloc(20, 4).toString('base64')]]));
    await rt.services.inventory.importTokens({ label: 'test' }, spare, 'spare');
    const before = await authenticatorCount();
    const cases: Array<[Promise<{ statusCode: number; headers: Record<string, unknown> }>, number]> = [
      [assign('NO-SUCH-SERIAL', { userId: person.id }), 404],
      [assign('SPARE-1', { userId: 'no-such-person' }), 404],
      [assign('RACE-1', { userId: person.id }), 409],
      [assign('x'.repeat(65), { userId: person.id }), 400],
      [assign('RACE-1', { userId: person.id, extra: 1 }), 400],
      [assign('RACE-1', {}), 400],
      [assign('RACE-1', { userId: 42 }), 400],
      [unassign('RACE-1', { reason: 7 }), 400],
      [unassign('NO-SUCH-SERIAL'), 404],
      [app.inject({ url: '/api/v1/inventory?state=shiny', headers: auth('admin') }), 400],
    ];
    for (const [pending, status] of cases) {
      const res = await pending;
      expect(res.statusCode).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect(await authenticatorCount()).toBe(before);
  });

  it('checks roles: auditors read only; validators and approvers see nothing', async () => {
    const person = await createPerson(rt, 'hw-roles');
    expect((await app.inject({ url: '/api/v1/inventory', headers: auth('validator') })).statusCode).toBe(403);
    expect((await app.inject({ url: '/api/v1/inventory', headers: auth('approver') })).statusCode).toBe(403);
    expect((await app.inject({ url: '/api/v1/inventory' })).statusCode).toBe(401);
    expect((await assign(SERIAL, { userId: person.id }, 'validator')).statusCode).toBe(403);
    expect((await assign(SERIAL, { userId: person.id }, 'auditor')).statusCode).toBe(403);
    expect((await unassign(SERIAL, undefined, 'auditor')).statusCode).toBe(403);
    expect((await unassign(SERIAL, undefined, 'validator')).statusCode).toBe(403);
    expect(await inventory('helpdesk')).toEqual(await inventory('auditor'));
  });

  it('the stored data never holds the seed in clear (the SQLite file and WAL; every PostgreSQL row)', async () => {
    let bytes: Buffer;
    if (dialect === 'sqlite') {
      const path = rt.db.url.slice('sqlite:'.length);
      bytes = Buffer.concat(
        [path, `${path}-wal`].map((f) => {
          try {
            return readFileSync(f);
          } catch {
            return Buffer.alloc(0);
          }
        }),
      );
    } else {
      const rows = await rt.ctx.store.db.selectFrom('authenticators').selectAll().execute();
      const audit = await rt.ctx.store.db.selectFrom('audit_events').selectAll().execute();
      bytes = Buffer.from(JSON.stringify([rows, audit]));
    }
    expect(bytes.length).toBeGreaterThan(1000);
    for (const form of [SEED, Buffer.from(SEED.toString('hex')), Buffer.from(SEED.toString('base64'))]) {
      expect(bytes.includes(form)).toBe(false);
    }
  });
});
