import { describe, expect, it } from 'vitest';
import { counts, factorsThatNoLongerCount, holdsSecondFactor, isPhishingResistant } from './factor-fit.js';
import { DAY_MS, nextActionAt, type RequirementTiming, sweepStep } from './schedule.js';

const T0 = Date.UTC(2026, 10, 28, 12);
const timing = (over: Partial<RequirementTiming> = {}): RequirementTiming => ({
  countsFrom: T0,
  deadline: T0 + 14 * DAY_MS,
  reminderDays: [1, 3, 6],
  remindersSent: 0,
  escalateAt: T0 + 7 * DAY_MS,
  escalatedAt: null,
  ...over,
});

describe('the reminder schedule (pure)', () => {
  it('the first step is the first reminder day', () => {
    expect(nextActionAt(timing())).toBe(T0 + DAY_MS);
  });

  it('reminds on each reminder day, once, then escalates on its day, then has nothing left', () => {
    let t = timing();
    const seen: string[] = [];
    for (let day = 0; day <= 15; day++) {
      const s = sweepStep(t, T0 + day * DAY_MS + 1000);
      if (s.remind) seen.push(`remind@${day}`);
      if (s.escalate) seen.push(`escalate@${day}`);
      t = {
        ...t,
        remindersSent: s.remindersSent,
        escalatedAt: s.escalate ? T0 + day * DAY_MS : t.escalatedAt,
      };
      if (day === 15) expect(s.nextActionAt).toBeNull();
    }
    expect(seen).toEqual(['remind@1', 'remind@3', 'remind@6', 'escalate@7']);
  });

  it('a late sweep sends one reminder for every day it missed, not a burst', () => {
    const s = sweepStep(timing(), T0 + 6 * DAY_MS + 1);
    expect(s).toMatchObject({
      remind: true,
      remindersSent: 3,
      escalate: false,
      nextActionAt: T0 + 7 * DAY_MS,
    });
  });

  it('no reminder at or after the deadline; no escalation when none is set', () => {
    const t = timing({ reminderDays: [1, 20], escalateAt: null });
    expect(nextActionAt({ ...t, remindersSent: 1 })).toBeNull();
    expect(sweepStep({ ...t, remindersSent: 1 }, T0 + 30 * DAY_MS)).toMatchObject({
      remind: false,
      escalate: false,
    });
  });
});

describe('which factors count', () => {
  const f = (type: string, state = 'active') => ({ id: type, type, state });
  const any = { requiredTypes: ['totp', 'hotp', 'webauthn'], phishingResistant: false };
  const passkey = { requiredTypes: ['webauthn'], phishingResistant: true };

  it('only an active factor of an accepted type counts; resistant when asked', () => {
    expect(counts(f('totp'), any)).toBe(true);
    expect(counts(f('totp', 'pending'), any)).toBe(false);
    expect(counts(f('recovery_codes'), any)).toBe(false);
    expect(counts(f('totp'), passkey)).toBe(false);
    expect(counts(f('webauthn'), passkey)).toBe(true);
    expect(isPhishingResistant('webauthn')).toBe(true);
    expect(isPhishingResistant('hotp')).toBe(false);
  });

  it('flags the usable factors a new requirement does not count, never recovery material', () => {
    const held = [f('totp'), f('recovery_codes'), f('hotp', 'revoked'), f('webauthn')];
    expect(factorsThatNoLongerCount(held, passkey).map((x) => x.type)).toEqual(['totp']);
    expect(holdsSecondFactor([f('recovery_codes'), f('totp', 'pending')])).toBe(false);
    expect(holdsSecondFactor([f('hotp')])).toBe(true);
  });
});
