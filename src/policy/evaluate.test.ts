import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.js';
import { explain } from './explain.js';
import { builtInRules, type Policy, type PolicyException, type Rules } from './policy-model.js';
import { testPolicy as policy } from './policy.test-support.js';

const NOW = Date.UTC(2026, 10, 28, 12);
const DAY = 24 * 60 * 60 * 1000;
const baseline = builtInRules({ enrolmentGraceDays: 14 });

function exception(id: string, waives: Rules, extra: Partial<PolicyException> = {}): PolicyException {
  return {
    id,
    userId: 'u1',
    groupName: null,
    waives,
    owner: 'o',
    startsAt: NOW - DAY,
    expiresAt: NOW + DAY,
    revokedAt: null,
    ...extra,
  };
}

const run = (
  policies: Policy[],
  opts: { groups?: string[]; clientId?: string | null; exceptions?: PolicyException[]; now?: number } = {},
) =>
  evaluate({
    userId: 'u1',
    groups: opts.groups ?? [],
    clientId: opts.clientId ?? null,
    policies,
    exceptions: opts.exceptions ?? [],
    now: opts.now ?? NOW,
    baseline,
  });

describe('policy evaluation', () => {
  it('without policies, the built-in baseline (config) applies', () => {
    const e = run([]);
    expect(e.requirement).toEqual(baseline);
    expect(e.requirement.aal).toBe(2);
    expect(e.requirement.graceDays).toBe(14);
    expect(e.fields.aal.reason).toBe('baseline');
    expect(explain(e)[0]).toContain('No policy applies');
  });

  it('a default policy replaces the baseline for the rules it sets', () => {
    const e = run([policy('everyone', 'default', null, { graceDays: 5 })]);
    expect(e.requirement.graceDays).toBe(5);
    expect(e.requirement.aal).toBe(2);
    expect(e.fields.graceDays.from).toEqual([{ kind: 'policy', id: 'p-everyone', name: 'everyone' }]);
  });

  it('strictest wins per rule across default, group and client policies', () => {
    const policies = [
      policy('everyone', 'default', null, {
        aal: 2,
        graceDays: 14,
        allowedTypes: ['totp', 'hotp', 'webauthn'],
      }),
      policy('admins', 'group', 'Admins', { aal: 3, graceDays: 10 }),
      policy('finance', 'group', 'finance', { graceDays: 3, allowedTypes: ['totp', 'webauthn'] }),
      policy('payroll-app', 'client', 'payroll', { allowedTypes: ['webauthn', 'hotp'], reauthHours: 8 }),
      policy('not-mine', 'group', 'sales', { aal: 1, graceDays: 0 }),
    ];
    const e = run(policies, { groups: ['admins', 'Finance'], clientId: 'payroll' });
    expect(e.requirement.aal).toBe(3);
    expect(e.requirement.graceDays).toBe(3);
    expect(e.requirement.allowedTypes).toEqual(['webauthn']);
    expect(e.requirement.reauthHours).toBe(8);
    expect(e.policies.map((p) => p.name)).toEqual(['everyone', 'admins', 'finance', 'payroll-app']);
    expect(e.policies.find((p) => p.name === 'admins')!.decided).toContain('aal');
    expect(e.fields.aal.reason).toBe('strictest');
    // Another client: the client policy does not apply.
    expect(run(policies, { groups: ['admins'], clientId: 'wiki' }).requirement.allowedTypes).toEqual([
      'totp',
      'hotp',
      'webauthn',
    ]);
  });

  it('a policy marked override wins over stricter ones; the highest priority override first', () => {
    const policies = [
      policy('everyone', 'default', null, { aal: 2 }),
      policy('admins', 'group', 'admins', { aal: 3 }),
      policy('kiosk', 'group', 'kiosk', { aal: 1 }, { override: true, priority: 5 }),
      policy('kiosk-lab', 'group', 'lab', { aal: 2 }, { override: true, priority: 10 }),
    ];
    expect(run(policies, { groups: ['admins', 'kiosk'] }).requirement.aal).toBe(1);
    const both = run(policies, { groups: ['admins', 'kiosk', 'lab'] });
    expect(both.requirement.aal).toBe(2);
    expect(both.fields.aal).toMatchObject({
      reason: 'override',
      from: [{ kind: 'policy', name: 'kiosk-lab' }],
    });
    // A disabled policy does not apply at all.
    const disabled = policies.map((p) => (p.name === 'kiosk' ? { ...p, enabled: false } : p));
    expect(run(disabled, { groups: ['admins', 'kiosk'] }).requirement.aal).toBe(3);
  });

  it('the explanation names every rule that applied and why', () => {
    const e = run(
      [policy('everyone', 'default', null, { aal: 2 }), policy('admins', 'group', 'admins', { aal: 3 })],
      { groups: ['admins'], exceptions: [exception('x1', { graceDays: 30 })] },
    );
    const text = explain(e).join('\n');
    expect(text).toContain('Policy "everyone" applies (default policy');
    expect(text).toContain('Policy "admins" applies (member of group admins');
    expect(text).toContain('aal = 3: strictest of the applicable policies (policy "admins")');
    expect(text).toContain('Exception x1 applies');
    expect(text).toContain('graceDays = 30: waived by an exception (exception x1, instead of 14)');
  });

  it('exceptions apply only between starts_at and expires_at, and never once revoked', () => {
    const policies = [policy('admins', 'group', 'admins', { aal: 3 })];
    const x = exception('x1', { aal: 2 }, { startsAt: NOW, expiresAt: NOW + DAY });
    const at = (now: number, e = x) => run(policies, { groups: ['admins'], exceptions: [e], now });
    expect(at(NOW - 1).requirement.aal).toBe(3);
    expect(at(NOW - 1).exceptions[0]!.why).toContain('not started');
    expect(at(NOW).requirement.aal).toBe(2);
    expect(at(NOW).usedExceptions).toEqual(['x1']);
    expect(at(NOW + DAY - 1).requirement.aal).toBe(2);
    // At expiry exactly it stops, whatever any sweep did or did not do.
    expect(at(NOW + DAY).requirement.aal).toBe(3);
    expect(at(NOW + DAY).usedExceptions).toEqual([]);
    expect(at(NOW + DAY).exceptions[0]!.why).toContain('expired');
    expect(at(NOW, { ...x, revokedAt: NOW }).requirement.aal).toBe(3);
  });

  it('a group exception applies to its members only; the most lenient waiver wins', () => {
    const g = exception('g1', { aal: 1 }, { userId: null, groupName: 'Kiosk' });
    const u = exception('u1x', { aal: 2 });
    expect(run([], { groups: ['kiosk'], exceptions: [g, u] }).requirement.aal).toBe(1);
    expect(run([], { groups: ['sales'], exceptions: [g, u] }).requirement.aal).toBe(2);
    expect(run([], { groups: ['sales'], exceptions: [g] }).usedExceptions).toEqual([]);
  });
});
