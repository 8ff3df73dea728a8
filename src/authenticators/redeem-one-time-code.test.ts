import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../test/support/databases.js';
import { createTestRuntime, type TestRuntime } from '../../test/support/runtime.js';

const actor = { label: 'test' };

/** Single-use redemption of recovery codes and access passes, on both dialects. */
describe.each(DIALECTS)('one-time code redemption on %s', (dialect) => {
  let rt: TestRuntime;
  const svc = () => rt.services.authenticators;
  const person = async (username: string) => (await rt.services.identity.create(actor, { username })).id;
  const recoveryCodes = async (userId: string) =>
    (await svc().issue(actor, userId, { type: 'recovery_codes' })).codes as string[];
  const accessPass = async (userId: string, extra: Record<string, unknown> = {}) => {
    const issued = await svc().issue(actor, userId, { type: 'access_pass', ...extra });
    return { id: issued.id, code: String(issued.code) };
  };

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
  });
  afterAll(async () => {
    // pg-pool's end() resolves before its clients have finished closing; the test database's
    // DROP … WITH (FORCE) then kills them, and the pool (no 'error' listener in open-store.ts)
    // raises an uncaught error. Let the ten clients the concurrency tests opened close first.
    await rt?.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await rt?.dispose();
  });

  it('a recovery code works once, typed with or without its hyphens', async () => {
    const dana = await person('dana');
    const [first, second] = await recoveryCodes(dana);
    expect(await svc().redeemRecoveryCode(dana, first!, actor)).toBe(true);
    expect(await svc().redeemRecoveryCode(dana, first!, actor)).toBe(false);
    expect(await svc().redeemRecoveryCode(dana, second!.replaceAll('-', '').toLowerCase(), actor)).toBe(true);
    const [set] = await svc().list(dana);
    expect(set).toMatchObject({ remaining: 8, state: 'active' });
    expect(set?.lastUsedAt).not.toBeNull();
  });

  it('twenty concurrent redemptions of one code: exactly one wins', async () => {
    const erin = await person('erin');
    const [code] = await recoveryCodes(erin);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        svc()
          .redeemRecoveryCode(erin, code!, actor)
          .catch((err: { code?: string }) => err.code),
      ),
    );
    // One winner; the losers count as failures on the shared counter, so late ones are THROTTLED.
    expect(results.filter((r) => r === true)).toHaveLength(1);
    expect(results.every((r) => r === true || r === false || r === 'THROTTLED')).toBe(true);
    expect((await svc().list(erin))[0]?.remaining).toBe(9);
  });

  it("another person's code never works, nor a wrong or oversized one", async () => {
    const fay = await person('fay');
    const gus = await person('gus');
    const [fayCode] = await recoveryCodes(fay);
    await recoveryCodes(gus);
    expect(await svc().redeemRecoveryCode(gus, fayCode!, actor)).toBe(false);
    expect(await svc().redeemRecoveryCode(fay, 'AAAA-BBBB-CCCC-DDDD', actor)).toBe(false);
    expect(await svc().redeemRecoveryCode(fay, 'A'.repeat(10_000), actor)).toBe(false);
    expect(await svc().redeemRecoveryCode('nobody', fayCode!, actor)).toBe(false);
    // Still unused by its owner after all that.
    expect(await svc().redeemRecoveryCode(fay, fayCode!, actor)).toBe(true);
  });

  it('codes of a replaced, suspended or revoked set are refused', async () => {
    const hal = await person('hal');
    const [old] = await recoveryCodes(hal);
    const [fresh, other] = await recoveryCodes(hal);
    expect(await svc().redeemRecoveryCode(hal, old!, actor)).toBe(false);
    const setId = (await svc().list(hal)).find((a) => a.state === 'active')!.id;
    await svc().suspend(actor, setId);
    expect(await svc().redeemRecoveryCode(hal, fresh!, actor)).toBe(false);
    await svc().reactivate(actor, setId);
    expect(await svc().redeemRecoveryCode(hal, fresh!, actor)).toBe(true);
    await svc().revoke(actor, setId, 'printout lost');
    expect(await svc().redeemRecoveryCode(hal, other!, actor)).toBe(false);
  });

  it('an access pass works once, then its authenticator is revoked ("redeemed")', async () => {
    const ida = await person('ida');
    const pass = await accessPass(ida);
    expect(await svc().redeemAccessPass(ida, pass.code, actor)).toBe(true);
    expect(await svc().redeemAccessPass(ida, pass.code, actor)).toBe(false);
    expect(await svc().get(pass.id)).toMatchObject({ state: 'revoked', stateReason: 'redeemed' });
    // A pass is not a recovery code, and the other way round.
    const next = await accessPass(ida);
    expect(await svc().redeemRecoveryCode(ida, next.code, actor)).toBe(false);
    expect(await svc().redeemAccessPass(ida, next.code, actor)).toBe(true);
  });

  it('an expired pass is refused; a new pass revokes the previous unused one', async () => {
    const jo = await person('jo');
    const short = await accessPass(jo, { minutes: 5 });
    rt.clock.advance(5 * 60_000);
    expect(await svc().redeemAccessPass(jo, short.code, actor)).toBe(false);
    const a = await accessPass(jo);
    const b = await accessPass(jo);
    expect(await svc().get(a.id)).toMatchObject({ state: 'revoked', stateReason: 'replaced' });
    expect(await svc().redeemAccessPass(jo, a.code, actor)).toBe(false);
    expect(await svc().redeemAccessPass(jo, b.code, actor)).toBe(true);
  });

  it('twenty concurrent redemptions of one pass: exactly one wins', async () => {
    const kim = await person('kim');
    const pass = await accessPass(kim);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        svc()
          .redeemAccessPass(kim, pass.code, actor)
          .catch((err: { code?: string }) => err.code),
      ),
    );
    // One winner; the losers count as failures on the shared counter, so late ones are THROTTLED.
    expect(results.filter((r) => r === true)).toHaveLength(1);
    expect(results.every((r) => r === true || r === false || r === 'THROTTLED')).toBe(true);
  });

  it('failed redemptions count on the one failure counter and lock the account', async () => {
    const ned = await person('ned');
    const [code] = await recoveryCodes(ned);
    for (let i = 0; i < 10; i++)
      expect(await svc().redeemRecoveryCode(ned, 'WRONG-CODE-0000', actor)).toBe(false);
    await expect(svc().redeemRecoveryCode(ned, code!, actor)).rejects.toMatchObject({ code: 'THROTTLED' });
    rt.clock.advance(31_000);
    expect(await svc().redeemRecoveryCode(ned, code!, actor)).toBe(true);
    const row = await rt.ctx.store.db
      .selectFrom('users')
      .select('failed_attempts')
      .where('id', '=', ned)
      .executeTakeFirstOrThrow();
    expect(row.failed_attempts).toBe(0);
  });

  it('a person who is no longer active cannot redeem', async () => {
    const lea = await person('lea');
    const [code] = await recoveryCodes(lea);
    await rt.services.identity.setStatus(actor, lea, 'suspended');
    expect(await svc().redeemRecoveryCode(lea, code!, actor)).toBe(false);
  });

  it('audits each outcome, never the code', async () => {
    const max = await person('max');
    const [code] = await recoveryCodes(max);
    await svc().redeemRecoveryCode(max, 'WRONG-CODE', actor);
    await svc().redeemRecoveryCode(max, code!, actor);
    const events = await rt.services.audit.forSubject(max);
    expect(events.slice(0, 2).map((e) => [e.action, e.outcome])).toEqual([
      ['recovery_code.redeemed', 'success'],
      ['recovery_code.rejected', 'failure'],
    ]);
    expect(events[0]?.details).toMatchObject({ remaining: 9 });
    expect(JSON.stringify(events)).not.toContain(code!.replaceAll('-', '').slice(0, 8));
    expect((await rt.services.audit.verify()).ok).toBe(true);
  });
});
