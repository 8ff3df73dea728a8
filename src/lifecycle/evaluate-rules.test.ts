import { describe, expect, it } from 'vitest';
import { evaluateRules, moverStillApplies } from './evaluate-rules.js';
import { groupMatches, type Rule, ruleActionSchema } from './rule.js';

const rule = (id: string, trigger: Rule['trigger'], groupName: string | null, action: unknown): Rule => ({
  id,
  name: id,
  trigger,
  groupName,
  action: ruleActionSchema.parse(action),
  enabled: true,
});

const JOINER = rule('joiner', 'joiner', null, {
  require: ['totp', 'hotp', 'webauthn'],
  escalateAfterDays: 7,
});
const ADMINS = rule('admins', 'mover', '*admin*', {
  require: ['webauthn'],
  phishingResistant: true,
  escalateAfterDays: 5,
});
const TOKENS = rule('tokens', 'joiner', 'field-*', { bindHardwareToken: true, tokenType: 'hotp' });
const RULES = [JOINER, ADMINS, TOKENS];

describe('evaluateRules (pure)', () => {
  it('a joiner gets the joiner requirement: its types and escalation (the timing is policy)', () => {
    const d = evaluateRules({ kind: 'joined', groups: ['staff'] }, RULES);
    expect(d.requirement).toEqual({
      reason: 'joiner',
      requiredTypes: ['totp', 'hotp', 'webauthn'],
      phishingResistant: false,
      escalateAfterDays: 7,
      triggerGroups: [],
      ruleIds: ['joiner'],
    });
    expect(d.bindHardwareToken).toBeNull();
  });

  it('a joiner straight into an admin group gets the strictest merge: a passkey, the soonest escalation', () => {
    const d = evaluateRules({ kind: 'joined', groups: ['Domain Admins'] }, RULES);
    expect(d.requirement).toMatchObject({
      reason: 'joiner',
      requiredTypes: ['webauthn'],
      phishingResistant: true,
      escalateAfterDays: 5,
      triggerGroups: ['Domain Admins'],
      ruleIds: ['joiner', 'admins'],
    });
  });

  it('a hardware-token rule binds a token of its type for its group', () => {
    expect(evaluateRules({ kind: 'joined', groups: ['field-engineers'] }, RULES).bindHardwareToken).toEqual({
      type: 'hotp',
      ruleId: 'tokens',
    });
    expect(evaluateRules({ kind: 'joined', groups: ['office'] }, RULES).bindHardwareToken).toBeNull();
  });

  it('a mover fires only on groups entered, never on groups kept or left', () => {
    expect(
      evaluateRules({ kind: 'groupsChanged', before: ['staff'], after: ['staff', 'sysadmins'] }, RULES)
        .requirement,
    ).toMatchObject({ reason: 'mover', phishingResistant: true, triggerGroups: ['sysadmins'] });
    expect(
      evaluateRules({ kind: 'groupsChanged', before: ['SysAdmins'], after: ['sysadmins', 'x'] }, RULES)
        .requirement,
    ).toBeNull();
    expect(
      evaluateRules({ kind: 'groupsChanged', before: ['admins'], after: [] }, RULES).requirement,
    ).toBeNull();
    // Joiner rules never fire on a move.
    expect(
      evaluateRules({ kind: 'groupsChanged', before: [], after: ['staff'] }, RULES).requirement,
    ).toBeNull();
  });

  it('disabled rules do nothing', () => {
    const off = { ...JOINER, enabled: false };
    expect(evaluateRules({ kind: 'joined', groups: [] }, [off]).requirement).toBeNull();
  });

  it('merging two non-resistant rules keeps the types both accept', () => {
    const a = rule('a', 'joiner', null, { require: ['totp', 'hotp'], escalateAfterDays: 10 });
    const b = rule('b', 'joiner', null, { require: ['hotp', 'webauthn'], escalateAfterDays: 20 });
    expect(evaluateRules({ kind: 'joined', groups: [] }, [a, b]).requirement).toMatchObject({
      requiredTypes: ['hotp'],
      escalateAfterDays: 10,
    });
  });

  it('a mover requirement still applies while a group the person is in asks as much', () => {
    const PRIV = rule('priv', 'mover', 'privileged*', { require: ['webauthn'], phishingResistant: true });
    expect(moverStillApplies(true, ['Domain Admins', 'x'], [ADMINS, PRIV])).toBe(true);
    expect(moverStillApplies(true, ['privileged-ops'], [ADMINS, PRIV])).toBe(true);
    expect(moverStillApplies(true, ['x'], [ADMINS, PRIV])).toBe(false);
    const LAX = rule('lax', 'mover', 'vpn', { require: ['totp'] });
    expect(moverStillApplies(true, ['vpn'], [LAX])).toBe(false);
    expect(moverStillApplies(false, ['vpn'], [LAX])).toBe(true);
  });
});

describe('rules as data', () => {
  it('group patterns: case-insensitive, * for any run, nothing else special', () => {
    expect(groupMatches('*admin*', 'Domain Admins')).toBe(true);
    expect(groupMatches('*admin*', 'staff')).toBe(false);
    expect(groupMatches('a.b', 'axb')).toBe(false);
    expect(groupMatches('finance', 'FINANCE')).toBe(true);
    expect(groupMatches('fin*', 'finance-team')).toBe(true);
  });

  it('refuses actions that could never work', () => {
    expect(ruleActionSchema.safeParse({}).success).toBe(false);
    expect(ruleActionSchema.safeParse({ require: ['totp'], phishingResistant: true }).success).toBe(false);
    // The grace period and reminders are policy's: a rule that sets them is refused, saying so.
    const timed = ruleActionSchema.safeParse({ require: ['totp'], graceDays: 5 });
    expect(timed.success).toBe(false);
    expect(JSON.stringify(timed.error?.issues)).toContain('set by policy');
    expect(ruleActionSchema.safeParse({ require: ['totp'], reminders: [1] }).success).toBe(false);
    expect(ruleActionSchema.safeParse({ require: ['sms'] }).success).toBe(false);
    expect(ruleActionSchema.safeParse({ require: ['totp'], extra: 1 }).success).toBe(false);
    expect(ruleActionSchema.safeParse({ bindHardwareToken: true }).success).toBe(true);
  });
});
