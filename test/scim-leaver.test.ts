import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totp } from '../src/authenticators/otp/index.js';
import { DIALECTS } from './support/databases.js';
import { issueTotp } from './support/people.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';
import { expectScimError, type Json, patchOp, scimClient } from './support/scim.js';

const HW_SEED = Buffer.alloc(20, 9);

/**
 * The leaver (journey 4): SCIM `active: false` or DELETE ends, inside that request, every
 * authenticator, recovery code and pass, returns hardware tokens to the inventory, clears the
 * failure counter and leaves one receipt in the audit trail. Reactivation brings nothing back.
 */
describe.each(DIALECTS)('the SCIM leaver on %s', (dialect) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let scim: ReturnType<typeof scimClient>;
  let admin: string;
  let validator: string;
  let serials = 0;

  const api = (method: 'GET' | 'POST', url: string, token: string, payload?: Json) =>
    app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${token}` },
      ...(payload ? { payload } : {}),
    });
  const validate = async (username: string, code: string) =>
    (await api('POST', '/validate', validator, { username, code })).json().result as string;

  /** A person from SCIM with every kind of factor: TOTP, recovery codes, a pass and a hardware token. */
  async function equippedPerson(userName: string) {
    const res = await scim('POST', '/Users', { userName, password: 'Sign-in-pass-1' });
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().id as string;
    const soft = await issueTotp(rt, id, admin);
    const recovery = (
      await api('POST', `/users/${id}/authenticators`, admin, { type: 'recovery_codes' })
    ).json();
    const pass = (await api('POST', `/users/${id}/authenticators`, admin, { type: 'access_pass' })).json();
    const serial = `HW-${dialect}-${++serials}`;
    await rt.services.inventory.importTokens(
      { label: 'test' },
      [{ serial, type: 'totp', secret: HW_SEED, algorithm: 'SHA1', digits: 6, period: 30 }],
      'test',
    );
    expect((await api('POST', `/inventory/${serial}/assign`, admin, { userId: id })).statusCode).toBe(200);
    const hwCode = (steps = 0) =>
      totp(HW_SEED, rt.clock.now() + steps * 30_000, { algorithm: 'SHA1', digits: 6, period: 30 });
    return { id, userName, soft, recovery, pass, serial, hwCode };
  }

  const authenticators = async (id: string) =>
    (await api('GET', `/users/${id}/authenticators`, admin)).json() as Json[];
  const unusedCodes = async (id: string) =>
    Number(
      (
        await rt.ctx.store.db
          .selectFrom('one_time_codes')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('user_id', '=', id)
          .where('used_at', 'is', null)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const receipts = (id: string) =>
    rt.ctx.store.db
      .selectFrom('audit_events')
      .select(['action', 'details', 'actor'])
      .where('subject', '=', id)
      .where('action', '=', 'person.deprovisioned')
      .execute();

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
    app = await rt.app();
    scim = scimClient(app, await rt.token('scim'));
    admin = await rt.token('admin');
    validator = await rt.token('validator');
  });
  afterAll(() => rt?.dispose());

  it('active "False" (as Entra ID sends it) revokes every factor in that request; a right code is then refused', async () => {
    const p = await equippedPerson('leaver-one');
    const stayer = await equippedPerson('stayer-one');
    // Two failures on the counter, so the reset shows.
    expect(await validate(p.userName, '000000')).toBe('reject');
    expect(await validate(p.userName, '000001')).toBe('reject');
    expect(await unusedCodes(p.id)).toBeGreaterThan(1);

    const res = await scim(
      'PATCH',
      `/Users/${p.id}`,
      patchOp({ op: 'Replace', path: 'active', value: 'False' }),
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().active).toBe(false);

    expect(await validate(p.userName, p.soft.code())).toBe('reject');
    expect(await validate(p.userName, p.hwCode())).toBe('reject');
    expect(
      await rt.services.authenticators.redeemRecoveryCode(p.id, p.recovery.codes[0], { label: 'test' }),
    ).toBe(false);
    expect(await rt.services.authenticators.redeemAccessPass(p.id, p.pass.code, { label: 'test' })).toBe(
      false,
    );
    expect(await unusedCodes(p.id)).toBe(0);
    const left = await authenticators(p.id);
    expect(left.map((a) => [a.type, a.state, a.stateReason]).sort()).toEqual([
      ['access_pass', 'revoked', 'leaver'],
      ['recovery_codes', 'revoked', 'leaver'],
      ['totp', 'revoked', 'leaver'],
    ]);
    const shelf = (await api('GET', '/inventory', admin)).json() as Json[];
    expect(shelf.find((t) => t.serial === p.serial)).toMatchObject({ userId: null, state: 'pending' });
    const row = await rt.ctx.store.db
      .selectFrom('users')
      .select(['status', 'failed_attempts', 'locked_until'])
      .where('id', '=', p.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'deprovisioned', failed_attempts: 0, locked_until: null });

    const [receipt, ...more] = await receipts(p.id);
    expect(more).toEqual([]);
    expect(receipt!.actor).toMatch(/^token:.*\(scim\)$/);
    const details = JSON.parse(receipt!.details);
    expect(details).toMatchObject({
      from: 'active',
      voidedCodes: expect.any(Number),
      returnedToInventory: [{ serial: p.serial }],
    });
    expect(details.revoked.map((r: Json) => r.type).sort()).toEqual([
      'access_pass',
      'recovery_codes',
      'totp',
    ]);
    expect(receipt!.details).not.toContain(p.pass.code);

    // The person who stays keeps every factor.
    expect(await validate(stayer.userName, stayer.soft.code())).toBe('accept');
  });

  it('a path-less replace with active false (Okta) is the leaver too', async () => {
    const p = await equippedPerson('leaver-okta');
    const res = await scim('PATCH', `/Users/${p.id}`, patchOp({ op: 'replace', value: { active: false } }));
    expect(res.statusCode).toBe(200);
    expect(await validate(p.userName, p.soft.code())).toBe('reject');
    expect((await authenticators(p.id)).every((a) => a.state === 'revoked')).toBe(true);
    expect(await receipts(p.id)).toHaveLength(1);
  });

  it('a PUT with active false is the leaver too, and reactivation brings no factor back', async () => {
    const p = await equippedPerson('leaver-put');
    expect((await scim('PUT', `/Users/${p.id}`, { userName: p.userName, active: false })).statusCode).toBe(
      200,
    );
    const back = await scim('PUT', `/Users/${p.id}`, { userName: p.userName, active: true });
    expect(back.json().active).toBe(true);
    expect((await api('GET', `/users/${p.id}`, admin)).json().status).toBe('active');
    expect((await authenticators(p.id)).every((a) => a.state === 'revoked')).toBe(true);
    expect(await validate(p.userName, p.soft.code())).toBe('reject');
    expect(await unusedCodes(p.id)).toBe(0);
    // Deactivating again while already inactive is no second leaver.
    await scim('PATCH', `/Users/${p.id}`, patchOp({ op: 'replace', path: 'active', value: false }));
    await scim('PATCH', `/Users/${p.id}`, patchOp({ op: 'replace', path: 'active', value: false }));
    expect(await receipts(p.id)).toHaveLength(2);
  });

  it('DELETE runs the leaver, then hides the person from SCIM (the row stays, deprovisioned)', async () => {
    const p = await equippedPerson('leaver-delete');
    const group = (
      await scim('POST', '/Groups', { displayName: `team-${dialect}`, members: [{ value: p.id }] })
    ).json();
    expect((await scim('DELETE', `/Users/${p.id}`)).statusCode).toBe(204);
    expect(await validate(p.userName, p.soft.code())).toBe('reject');
    expect((await authenticators(p.id)).every((a) => a.state === 'revoked')).toBe(true);
    expect(await receipts(p.id)).toHaveLength(1);
    expectScimError(await scim('GET', `/Users/${p.id}`), 404);
    const g = (await scim('GET', `/Groups/${group.id}`)).json();
    expect(g.members).toBeUndefined();
    expect(g.meta.version).toBe('W/"2"');
    expect((await api('GET', `/users/${p.id}`, admin)).json().status).toBe('deprovisioned');
  });

  it('the admin API deprovisioning a person runs the same leaver', async () => {
    const p = await equippedPerson('leaver-admin');
    const res = await api('POST', `/users/${p.id}/status`, admin, {
      status: 'deprovisioned',
      reason: 'left the company',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(await validate(p.userName, p.soft.code())).toBe('reject');
    expect((await authenticators(p.id)).every((a) => a.state === 'revoked')).toBe(true);
    const [receipt] = await receipts(p.id);
    expect(JSON.parse(receipt!.details)).toMatchObject({ reason: 'left the company', from: 'active' });
  });
});
