import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../src/recovery/recovery-model.js';
import { RecoveryService } from '../src/recovery/recovery-service.js';
import { DIALECTS } from './support/databases.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';

const alice: Agent = { label: 'token:alice(helpdesk)', name: 'alice', role: 'helpdesk' };
const bob: Agent = { label: 'token:bob(approver)', name: 'bob', role: 'approver' };
const sso = { label: 'sso' };

/** Recovery credentials presented wrongly: refused, audited, nothing else changed. */
describe.each(DIALECTS)('recovery credentials misused on %s', (dialect) => {
  let rt: TestRuntime;
  let n = 0;

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
  });
  afterAll(() => rt.dispose());

  const person = (privileged = true) =>
    rt.services.identity.create(
      { label: 'test' },
      { username: `bad-${++n}`, email: `bad-${n}@example.org`, groups: privileged ? ['admins'] : [] },
    );

  async function approvedPass(userId: string) {
    const req = await rt.services.recovery.open(alice, { userId, proofingMethod: 'in_person' });
    const approved = await rt.services.recovery.approve(bob, req.id);
    return { id: req.id, code: approved.pass!.code };
  }

  const actions = async (userId: string) => (await rt.services.audit.forSubject(userId)).map((e) => e.action);

  it('a pass works once: the second use is refused and audited; the request is not completed by it', async () => {
    const p = await person();
    const pass = await approvedPass(p.id);
    expect(await rt.services.authenticators.redeemAccessPass(p.id, pass.code, sso)).toBe(true);
    expect(await rt.services.authenticators.redeemAccessPass(p.id, pass.code, sso)).toBe(false);
    expect((await actions(p.id)).filter((a) => a === 'access_pass.rejected')).toHaveLength(1);
    expect((await rt.services.recovery.get(pass.id)).state).toBe('approved');
  });

  it('a pass past its lifetime is refused and audited', async () => {
    const p = await person();
    const pass = await approvedPass(p.id);
    rt.clock.advance((rt.config.accessPassMinutes + 1) * 60_000);
    expect(await rt.services.authenticators.redeemAccessPass(p.id, pass.code, sso)).toBe(false);
    expect(await actions(p.id)).toContain('access_pass.rejected');
    expect((await rt.services.recovery.get(pass.id)).state).toBe('approved');
  });

  it("another person's pass or recovery code is refused for this person, and still works for its owner", async () => {
    const owner = await person();
    const other = await person();
    const pass = await approvedPass(owner.id);
    const codes = (
      await rt.services.authenticators.issue({ label: 'test' }, owner.id, { type: 'recovery_codes' })
    ).codes as string[];
    expect(await rt.services.authenticators.redeemAccessPass(other.id, pass.code, sso)).toBe(false);
    expect(await rt.services.authenticators.redeemRecoveryCode(other.id, codes[0]!, sso)).toBe(false);
    expect(await actions(other.id)).toEqual(
      expect.arrayContaining(['access_pass.rejected', 'recovery_code.rejected']),
    );
    expect(await rt.services.authenticators.redeemAccessPass(owner.id, pass.code, sso)).toBe(true);
    expect(await rt.services.authenticators.redeemRecoveryCode(owner.id, codes[0]!, sso)).toBe(true);
  });

  it("approving one's own request is refused even through the service, and audited", async () => {
    const p = await person();
    const req = await rt.services.recovery.open(alice, { userId: p.id, proofingMethod: 'in_person' });
    const self: Agent = { label: 'token:alice(approver)', name: 'alice', role: 'approver' };
    await expect(rt.services.recovery.approve(self, req.id)).rejects.toMatchObject({
      code: 'RECOVERY_SELF_APPROVAL',
    });
    expect((await rt.services.recovery.get(req.id)).state).toBe('open');
    expect(await rt.services.authenticators.list(p.id)).toEqual([]);
    expect(await actions(p.id)).toContain('recovery.approve_refused');
  });

  it('two approvers at once: exactly one approval and one pass', async () => {
    const p = await person();
    const req = await rt.services.recovery.open(alice, { userId: p.id, proofingMethod: 'in_person' });
    const carol: Agent = { label: 'token:carol(approver)', name: 'carol', role: 'approver' };
    const results = await Promise.allSettled([
      rt.services.recovery.approve(bob, req.id),
      rt.services.recovery.approve(carol, req.id),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'INVALID_STATE' } });
    const passes = (await rt.services.authenticators.list(p.id)).filter((a) => a.type === 'access_pass');
    expect(passes).toHaveLength(1);
  });

  it('revokeOld false keeps the old factors; a suspended person cannot be recovered', async () => {
    const p = await person();
    const t = await rt.services.authenticators.issue({ label: 'test' }, p.id, { type: 'totp' });
    const req = await rt.services.recovery.open(alice, {
      userId: p.id,
      proofingMethod: 'in_person',
      revokeOld: false,
    });
    await rt.services.recovery.approve(bob, req.id);
    expect((await rt.services.authenticators.get(t.id)).state).toBe('pending');
    const q = await person();
    await rt.services.identity.setStatus({ label: 'test' }, q.id, 'suspended');
    await expect(
      rt.services.recovery.open(alice, { userId: q.id, proofingMethod: 'in_person' }),
    ).rejects.toMatchObject({
      code: 'INVALID_STATE',
    });
  });
});

/** Policy delivers passes to the manager: the approver never sees it; it is mailed. */
describe.each(DIALECTS)('pass delivered to the manager on %s', (dialect) => {
  let rt: TestRuntime;
  let recovery: RecoveryService;

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
    // A policy source as the policy engine will give it: passes for this organisation go to managers.
    recovery = new RecoveryService(
      rt.ctx,
      rt.services.authenticators,
      rt.services.mail,
      rt.services.policy,
      async () => ({
        privileged: true,
        approveUnprivilegedAtOpen: true,
        passDelivery: 'manager',
        passMinutes: 30,
      }),
    );
  });
  afterAll(() => rt.dispose());

  it('mails the pass to the manager; without a manager the approval is refused and nothing changes', async () => {
    const create = (username: string) =>
      rt.services.identity.create(
        { label: 'test' },
        { username, email: `${username}@example.org`, groups: ['admins'] },
      );
    const boss = await create('boss-bo');
    const p = await create('staff-sam');
    const orphan = await create('orphan-olly');
    await rt.ctx.store.db.updateTable('users').set({ manager_id: boss.id }).where('id', '=', p.id).execute();

    const req = await recovery.open(alice, { userId: p.id, proofingMethod: 'manager_vouch' });
    const approved = await recovery.approve(bob, req.id);
    expect(approved.pass).toBeNull();
    expect(approved.passDelivery).toBe('manager');
    const issued = await rt.services.authenticators.get(approved.passAuthenticatorId!);
    expect(issued.expiresAt).toBe(new Date(rt.clock.now() + 30 * 60_000).toISOString());
    const worker = rt.services.jobs.worker({ workerId: 'mail' });
    while ((await worker.runOnce()) > 0) {}
    const mails = await rt.services.outbox.list(100);
    const toBoss = mails.filter(
      (m) => m.to === 'boss-bo@example.org' && m.subject.includes('Temporary Access Pass'),
    );
    expect(toBoss).toHaveLength(1);
    const code = /in person: ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})/.exec(toBoss[0]!.text)?.[1];
    expect(code).toBeTruthy();
    // The mailed pass is the person's, and works (once) for them.
    expect(await rt.services.authenticators.redeemAccessPass(p.id, code!, { label: 'sso' })).toBe(true);
    expect(mails.filter((m) => m.to === 'staff-sam@example.org' && m.text.includes(code!))).toEqual([]);

    const lone = await recovery.open(alice, { userId: orphan.id, proofingMethod: 'in_person' });
    await expect(recovery.approve(bob, lone.id)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect((await recovery.get(lone.id)).state).toBe('open');
    expect(await rt.services.authenticators.list(orphan.id)).toEqual([]);
  });
});
