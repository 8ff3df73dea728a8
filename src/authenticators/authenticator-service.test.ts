import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../test/support/databases.js';
import { createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';
import { verifyOneTimeSecret } from '../crypto/one-time-hash.js';
import { normaliseHumanCode } from '../crypto/random.js';
import { AppError } from '../shared/errors.js';
import { decodeBase32, encodeBase32 } from './otp/index.js';

const actor = { label: 'test' };

/** The service on both dialects: storage at rest, replacement, lifecycle, audit. */
describe.each(DIALECTS)('authenticator service on %s', (dialect) => {
  let rt: TestRuntime;
  let alice: string;
  const svc = () => rt.services.authenticators;
  const codeOf = (p: Promise<unknown>) =>
    p.then(
      () => 'resolved',
      (e: unknown) => (e instanceof AppError ? e.code : String(e)),
    );
  const count = async (table: 'authenticators' | 'one_time_codes') =>
    Number(
      (
        await rt.ctx.store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const row = (id: string) =>
    rt.ctx.store.db.selectFrom('authenticators').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
    alice = (await rt.services.identity.create(actor, { username: 'alice' })).id;
  });
  afterAll(async () => rt?.dispose());

  it('seals the seed under authenticator:<id> and stores no plaintext', async () => {
    const issued = await svc().issue(actor, alice, { type: 'totp' });
    const stored = await row(issued.id);
    const seed = decodeBase32(String(issued.secret));
    expect(stored.secret_enc).not.toContain(String(issued.secret));
    expect(await rt.ctx.keyring.decrypt(stored.secret_enc!, `authenticator:${issued.id}`)).toEqual(seed);
    await expect(rt.ctx.keyring.decrypt(stored.secret_enc!, 'authenticator:other')).rejects.toThrow();
    expect(stored).toMatchObject({ state: 'pending', counter: null, activated_at: null });
    expect(JSON.parse(stored.params)).toEqual({ algorithm: 'SHA1', digits: 6, period: 30 });
  });

  it('stores recovery codes only as salted hashes', async () => {
    const issued = await svc().issue(actor, alice, { type: 'recovery_codes' });
    const codes = issued.codes as string[];
    const hashes = await rt.ctx.store.db
      .selectFrom('one_time_codes')
      .select(['code_hash', 'user_id'])
      .where('authenticator_id', '=', issued.id)
      .execute();
    expect(hashes).toHaveLength(10);
    const dump = JSON.stringify(hashes);
    for (const c of codes) expect(dump).not.toContain(normaliseHumanCode(c));
    for (const c of codes) {
      expect(hashes.some((h) => verifyOneTimeSecret(normaliseHumanCode(c), h.code_hash))).toBe(true);
    }
    expect((await row(issued.id)).secret_enc).toBeNull();
  });

  it('writes nothing for a short brought seed, bad base32, or an unknown type', async () => {
    const before = [await count('authenticators'), await count('one_time_codes')];
    const short = encodeBase32(Buffer.alloc(15, 3));
    expect(await codeOf(svc().issue(actor, alice, { type: 'totp', secret: short }))).toBe('INVALID_SECRET');
    expect(await codeOf(svc().issue(actor, alice, { type: 'hotp', secret: '!!!!' }))).toBe('INVALID_SECRET');
    expect(await codeOf(svc().issue(actor, alice, { type: 'sms' }))).toBe('VALIDATION_FAILED');
    expect([await count('authenticators'), await count('one_time_codes')]).toEqual(before);
  });

  it('issues only to an existing, active person', async () => {
    expect(await codeOf(svc().issue(actor, 'nobody', { type: 'totp' }))).toBe('NOT_FOUND');
    const bob = (await rt.services.identity.create(actor, { username: 'bob' })).id;
    await rt.services.identity.setStatus(actor, bob, 'suspended');
    expect(await codeOf(svc().issue(actor, bob, { type: 'totp' }))).toBe('INVALID_STATE');
    expect(await svc().list(bob)).toEqual([]);
  });

  it('a new recovery set revokes the previous one and voids its unused codes, in one go', async () => {
    const carol = (await rt.services.identity.create(actor, { username: 'carol' })).id;
    const first = await svc().issue(actor, carol, { type: 'recovery_codes' });
    const second = await svc().issue(actor, carol, { type: 'recovery_codes' });
    expect(await svc().get(first.id)).toMatchObject({
      state: 'revoked',
      stateReason: 'replaced',
      remaining: 0,
    });
    expect(await svc().get(second.id)).toMatchObject({ state: 'active', remaining: 10 });
    const events = await rt.services.audit.forSubject(carol);
    expect(events.find((e) => e.action === 'authenticator.revoked')?.details).toMatchObject({
      authenticatorId: first.id,
      reason: 'replaced',
      voidedCodes: 10,
    });
  });

  it('walks the lifecycle through the state machine and refuses what it forbids', async () => {
    const { id } = await svc().issue(actor, alice, { type: 'hotp' });
    expect(await codeOf(svc().reactivate(actor, id))).toBe('INVALID_STATE');
    expect((await svc().suspend(actor, id, 'on leave')).state).toBe('suspended');
    // Never used, so reactivation returns it to pending (staged activation still ahead).
    expect((await svc().reactivate(actor, id)).state).toBe('pending');
    expect((await svc().markLost(actor, id, 'left on a train')).state).toBe('lost');
    expect(await codeOf(svc().reactivate(actor, id))).toBe('INVALID_STATE');
    expect(await codeOf(svc().suspend(actor, id))).toBe('INVALID_STATE');
    expect(await svc().revoke(actor, id, 'lost')).toMatchObject({ state: 'revoked', stateReason: 'lost' });
    expect(await codeOf(svc().revoke(actor, id, 'again'))).toBe('INVALID_STATE');
    expect(await codeOf(svc().revoke(actor, 'no-such-id', 'x'))).toBe('NOT_FOUND');
  });

  it('renames, and audits every write without a secret', async () => {
    const issued = await svc().issue(actor, alice, { type: 'totp', name: 'Phone' });
    expect((await svc().rename(actor, issued.id, 'New phone')).name).toBe('New phone');
    await svc().suspend(actor, issued.id);
    const events = (await rt.services.audit.forSubject(alice)).filter(
      (e) => e.details.authenticatorId === issued.id,
    );
    expect(events.map((e) => e.action).reverse()).toEqual([
      'authenticator.issued',
      'authenticator.renamed',
      'authenticator.suspended',
    ]);
    const dump = JSON.stringify(events);
    expect(dump).not.toContain(String(issued.secret));
    expect(dump).not.toContain('otpauth');
    expect((await rt.services.audit.verify()).ok).toBe(true);
  });
});
