import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../../test/support/databases.js';
import { createPerson } from '../../../test/support/people.js';
import { createTestRuntime, type TestRuntime } from '../../../test/support/runtime.js';
import { isAppError } from '../../shared/errors.js';
import { type PskcToken, readPskc } from './read-pskc.js';

const VECTORS = new URL('../../../../shared/vectors/', import.meta.url);
const vector = (path: string) => readFileSync(new URL(path, VECTORS), 'utf8');
const SEED = Buffer.from('12345678901234567890');
const actor = { label: 'test' };

/** A plain-secret HOTP token as the reader would hand it over. */
const token = (serial: string, extra: Partial<PskcToken> = {}): PskcToken => ({
  serial,
  type: 'hotp',
  secret: Buffer.alloc(20, 9),
  algorithm: 'SHA1',
  digits: 6,
  counter: 0,
  ...extra,
});

/** What the store holds, for asserting "nothing changed". */
async function snapshot(rt: TestRuntime) {
  const db = rt.ctx.store.db;
  const count = async (table: 'authenticators' | 'audit_events') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return { authenticators: await count('authenticators'), audit: await count('audit_events') };
}

async function expectCode(promise: Promise<unknown>, code: string) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isAppError(err) ? err.code : err).toBe(code);
  return err as Error;
}

describe.each(DIALECTS)('InventoryService on %s', (dialect) => {
  let rt: TestRuntime;
  const row = (serial: string) =>
    rt.ctx.store.db
      .selectFrom('authenticators')
      .selectAll()
      .where('serial', '=', serial)
      .executeTakeFirstOrThrow();

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
  });
  afterAll(() => rt.dispose());

  it('imports RFC 6030 figure 7 (PBKDF2, password qwerty) as an unassigned pending HOTP token', async () => {
    const tokens = readPskc(vector('pskc-rfc6030/figure7.xml'), { password: 'qwerty' });
    const result = await rt.services.inventory.importTokens(actor, tokens, 'pskc:figure7.xml');
    expect(result).toEqual({ imported: 1, serials: ['987654321'] });
    const r = await row('987654321');
    expect(r).toMatchObject({
      user_id: null,
      type: 'hotp',
      state: 'pending',
      name: 'TokenVendorAcme',
      counter: 0,
      activated_at: null,
      last_used_at: null,
    });
    expect(JSON.parse(r.params)).toEqual({ algorithm: 'SHA1', digits: 8 });
    // Sealed under the aad the validation service opens it with, and under no other.
    expect(await rt.ctx.keyring.decrypt(r.secret_enc!, `authenticator:${r.id}`)).toEqual(SEED);
    await expect(rt.ctx.keyring.decrypt(r.secret_enc!, 'authenticator:other')).rejects.toThrow();
    expect(r.secret_enc).not.toContain(SEED.toString('base64'));

    const audit = await rt.ctx.store.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'inventory.imported')
      .execute();
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]!.details)).toEqual({
      count: 1,
      serials: ['987654321'],
      source: 'pskc:figure7.xml',
    });
  });

  it('refuses figure 6 afterwards (same serial): PSKC_DUPLICATE_SERIAL naming it, nothing written', async () => {
    const before = await snapshot(rt);
    const tokens = readPskc(vector('pskc-rfc6030/figure6.xml'), {
      keyHex: '12345678901234567890123456789012',
    });
    const err = await expectCode(
      rt.services.inventory.importTokens(actor, tokens, 'figure6'),
      'PSKC_DUPLICATE_SERIAL',
    );
    expect(err.message).toContain('987654321');
    expect(await snapshot(rt)).toEqual(before);
  });

  it('stores TOTP with its period and no counter, HOTP with its next counter (Feitian export)', async () => {
    const tokens = readPskc(vector('pskc-samples/feitian_file1.xml'));
    const result = await rt.services.inventory.importTokens(actor, tokens, 'feitian');
    expect(result.imported).toBe(6);
    const totp = await row('2600124809778');
    expect(totp).toMatchObject({ type: 'totp', counter: null, name: 'Feitian Technology Co.,Ltd' });
    expect(JSON.parse(totp.params)).toEqual({ algorithm: 'SHA1', digits: 6, period: 60 });
    const hotp = await row('1000133508267');
    expect(hotp).toMatchObject({ type: 'hotp', counter: 0 });
    expect(JSON.parse(hotp.params)).toEqual({ algorithm: 'SHA1', digits: 6 });
  });

  it('is all or nothing: one held serial, or one token it cannot verify, and nothing is written', async () => {
    const before = await snapshot(rt);
    const inv = rt.services.inventory;
    const err = await expectCode(
      inv.importTokens(actor, [token('FRESH-1'), token('987654321'), token('FRESH-2')], 'x'),
      'PSKC_DUPLICATE_SERIAL',
    );
    expect(err.message).toContain('987654321');
    expect(err.message).not.toContain('FRESH');
    await expectCode(
      inv.importTokens(actor, [token('FRESH-1'), token('FRESH-1')], 'x'),
      'PSKC_DUPLICATE_SERIAL',
    );
    // 7 digits pass the reader but not the OTP types' check: refused here, not a broken row later.
    await expectCode(
      inv.importTokens(actor, [token('FRESH-1'), token('SEVEN', { digits: 7 })], 'x'),
      'PSKC_INVALID',
    );
    await expectCode(
      inv.importTokens(
        actor,
        [token('FRESH-1'), token('T10', { type: 'totp', period: 10, counter: undefined })],
        'x',
      ),
      'PSKC_INVALID',
    );
    await expectCode(inv.importTokens(actor, [token('FRESH-1'), token('x'.repeat(65))], 'x'), 'PSKC_INVALID');
    await expectCode(inv.importTokens(actor, [], 'x'), 'PSKC_INVALID');
    expect(await snapshot(rt)).toEqual(before);
    expect(await inv.list({ state: 'pending' })).not.toContainEqual(
      expect.objectContaining({ serial: 'FRESH-1' }),
    );
  });

  it('lists without secrets, filtered by state and assignment', async () => {
    const all = await rt.services.inventory.list();
    expect(all.map((v) => v.serial)).toEqual([...all.map((v) => v.serial)].sort());
    expect(all).toHaveLength(7);
    for (const v of all) {
      expect(Object.keys(v).sort()).toEqual(
        ['createdAt', 'id', 'lastUsedAt', 'name', 'serial', 'state', 'type', 'userId'].sort(),
      );
    }
    expect(await rt.services.inventory.list({ assigned: true })).toEqual([]);
    expect(await rt.services.inventory.list({ assigned: false })).toHaveLength(7);
    expect(await rt.services.inventory.list({ state: 'active' })).toEqual([]);
  });

  it('assigns to an active person only, once; returns to the shelf with the counter untouched', async () => {
    const inv = rt.services.inventory;
    const alice = await createPerson(rt, 'inv-alice');
    const bob = await createPerson(rt, 'inv-bob');
    const gone = await createPerson(rt, 'inv-gone');
    await rt.services.identity.setStatus(actor, gone.id, 'suspended');

    await expectCode(inv.assign(actor, 'NO-SUCH', alice.id), 'NOT_FOUND');
    await expectCode(inv.assign(actor, '1000133508267', 'no-such-person'), 'NOT_FOUND');
    await expectCode(inv.assign(actor, '1000133508267', gone.id), 'INVALID_STATE');

    const view = await inv.assign(actor, '1000133508267', alice.id);
    expect(view).toMatchObject({ serial: '1000133508267', userId: alice.id, state: 'pending' });
    await expectCode(inv.assign(actor, '1000133508267', bob.id), 'INVALID_STATE');
    await expectCode(inv.unassign(actor, '1000133508255'), 'INVALID_STATE');

    // A first use activates it and moves the counter (what the validation service does).
    const id = (await row('1000133508267')).id;
    await rt.ctx.store.db
      .updateTable('authenticators')
      .set({ counter: 5, state: 'active', activated_at: 1, last_used_at: 1 })
      .where('id', '=', id)
      .execute();
    const returned = await inv.unassign(actor, '1000133508267', 'left the team');
    expect(returned).toMatchObject({ userId: null, state: 'pending' });
    expect(await row('1000133508267')).toMatchObject({
      counter: 5,
      activated_at: null,
      state_reason: 'left the team',
    });

    const audit = await rt.services.audit.forSubject(alice.id);
    const actions = audit.map((e) => e.action);
    expect(actions).toContain('inventory.assigned');
    expect(actions).toContain('inventory.returned');
  });

  it('never hands out a lost or revoked token, nor returns one', async () => {
    const inv = rt.services.inventory;
    const carol = await createPerson(rt, 'inv-carol');
    await inv.assign(actor, '2600135004012', carol.id);
    const setState = (serial: string, state: 'lost' | 'revoked') =>
      rt.ctx.store.db.updateTable('authenticators').set({ state }).where('serial', '=', serial).execute();
    await setState('2600135004012', 'lost');
    await expectCode(inv.unassign(actor, '2600135004012'), 'INVALID_STATE');
    await setState('2600135004013', 'revoked');
    await expectCode(inv.assign(actor, '2600135004013', carol.id), 'INVALID_STATE');
    expect((await row('2600135004013')).user_id).toBeNull();
  });

  it('of concurrent binds of one token to different people, exactly one wins', async () => {
    const people = await Promise.all(
      ['inv-r1', 'inv-r2', 'inv-r3', 'inv-r4'].map((u) => createPerson(rt, u)),
    );
    const outcomes = await Promise.allSettled(
      people.map((p) => rt.services.inventory.assign(actor, '2600124809787', p.id)),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes)
      if (o.status === 'rejected') expect(isAppError(o.reason, 'INVALID_STATE')).toBe(true);
    const winner = outcomes.find((o) => o.status === 'fulfilled') as PromiseFulfilledResult<{
      userId: string;
    }>;
    expect((await row('2600124809787')).user_id).toBe(winner.value.userId);
  });
});
