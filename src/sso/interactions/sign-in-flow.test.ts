import { describe, expect, it } from 'vitest';
import type { AuthenticatorView } from '../../authenticators/authenticator-view.js';
import { listTypes } from '../../authenticators/registry.js';
import { ACR_BY_AAL, type UsedFactor } from '../acr-amr.js';
import { type AvailableMethod, availableMethods } from './methods.js';
import {
  afterEnrolment,
  afterPasskeyFirst,
  afterPassword,
  afterSecondFactor,
  enrolInstead,
  type PersonFacts,
  startSignIn,
} from './sign-in-flow.js';

const NOW = Date.UTC(2026, 10, 28);
const DAY = 86_400_000;
const otp: AvailableMethod = { method: 'otp', aal: 2, recoveryOnly: false, active: true };
const pendingOtp: AvailableMethod = { ...otp, active: false };
const pass: AvailableMethod = { method: 'access_pass', aal: 1, recoveryOnly: true, active: false };
const passkey: AvailableMethod = { method: 'passkey', aal: 3, recoveryOnly: false, active: true };
const totpFactor: UsedFactor = {
  kind: 'authenticator',
  type: 'totp',
  amr: ['otp'],
  maxAal: 2,
  phishingResistant: false,
  recoveryOnly: false,
};
const passFactor: UsedFactor = {
  kind: 'authenticator',
  type: 'access_pass',
  amr: ['otp'],
  maxAal: 1,
  phishingResistant: false,
  recoveryOnly: true,
};

const facts = (methods: AvailableMethod[], deadlineInDays = 10): PersonFacts => ({
  id: 'u1',
  username: 'alice',
  methods,
  enrolmentDeadline: NOW + deadlineInDays * DAY,
  now: NOW,
  enrolableAal: 2,
});

describe('sign-in flow', () => {
  it('password → second factor → finish at AAL2', () => {
    const a = afterPassword(startSignIn(2), facts([otp]));
    expect(a.kind).toBe('continue');
    expect(a.state.step).toMatchObject({ name: 'second_factor', methods: ['otp'], canEnrolInstead: false });
    const b = afterSecondFactor(a.state, totpFactor);
    expect(b.kind).toBe('finish');
    if (b.kind === 'finish') expect(b.assurance.acr).toBe(ACR_BY_AAL[2]);
  });

  it('the types the policy decision at the password step counts stay with the sign-in for its second factor', () => {
    const a = afterPassword(startSignIn(2), { ...facts([otp]), countingTypes: ['totp'] });
    expect(a.kind).toBe('continue');
    expect(a.state.countingTypes).toEqual(['totp']);
    expect(afterPassword(startSignIn(2), facts([otp])).state.countingTypes).toBeUndefined();
  });

  it("a policy of AAL1 (an exception waiving the second factor) ends at the password; the request's level is not lowered", () => {
    const waived = { ...facts([otp], -1), policyAal: 1 as const };
    const a = afterPassword(startSignIn(1), waived);
    expect(a.kind).toBe('finish');
    if (a.kind === 'finish') expect(a.assurance).toMatchObject({ aal: 1, acr: ACR_BY_AAL[1], amr: ['pwd'] });
    // The request asks for AAL2 (acr_values): the second factor is still asked for.
    expect(afterPassword(startSignIn(2), waived).state.step).toMatchObject({ name: 'second_factor' });
    // Without the waiver the baseline (policyAal 2) applies: overdue, refused.
    expect(afterPassword(startSignIn(1), { ...facts([], -1), policyAal: 2 }).kind).toBe('refuse');
  });

  it('no factor inside the grace period → enrol now; after it → refused', () => {
    expect(afterPassword(startSignIn(2), facts([])).state.step).toMatchObject({
      name: 'enrol',
      reason: 'grace',
    });
    const late = afterPassword(startSignIn(2), facts([], -1));
    expect(late.kind).toBe('refuse');
    expect(late.state.step.name).toBe('refused');
  });

  it('a pass leads into enrolment, and only the verified new factor finishes the sign-in (recovery parity)', () => {
    const a = afterPassword(startSignIn(2), facts([pass], -30));
    expect(a.state.step).toMatchObject({ name: 'second_factor', methods: ['access_pass'] });
    const b = afterSecondFactor(a.state, passFactor);
    expect(b.kind).toBe('continue');
    expect(b.state.step).toMatchObject({ name: 'enrol', reason: 'recovery' });
    const c = afterEnrolment(b.state, totpFactor);
    expect(c.kind).toBe('finish');
    if (c.kind === 'finish') expect(c.assurance.aal).toBe(2);
  });

  it('never finishes below the level asked for', () => {
    // AAL3 asked, only OTP held: unmet at once, no factor asked for in vain.
    const a = afterPassword(startSignIn(3), facts([otp]));
    expect(a).toMatchObject({ kind: 'unmet', reached: 2 });
    // AAL3 asked with a passkey and OTP held: only the passkey is offered.
    expect(afterPassword(startSignIn(3), facts([passkey, otp])).state.step).toMatchObject({
      methods: ['passkey'],
    });
    // A pass path that could only reach AAL2 is unmet for AAL3.
    expect(afterPassword(startSignIn(3), facts([pass], -1)).kind).toBe('unmet');
    // Enrolment that reaches less than asked ends unmet.
    const s = { ...startSignIn(3), factors: [{ kind: 'password' } as const] };
    expect(afterEnrolment(s, totpFactor)).toMatchObject({ kind: 'unmet', reached: 2 });
  });

  it('inside the grace period with only a never-used factor, the person may enrol afresh instead', () => {
    const a = afterPassword(startSignIn(2), facts([pendingOtp]));
    expect(a.state.step).toMatchObject({ name: 'second_factor', canEnrolInstead: true });
    expect(enrolInstead(a.state).step).toMatchObject({ name: 'enrol', reason: 'grace' });
    // Not once a factor was used, and not after the grace period.
    const used = afterPassword(startSignIn(2), facts([otp]));
    expect(enrolInstead(used.state)).toBe(used.state);
    expect(afterPassword(startSignIn(2), facts([pendingOtp], -1)).state.step).toMatchObject({
      canEnrolInstead: false,
    });
  });
});

describe('availableMethods', () => {
  const describe_ = (type: string) => listTypes().find((t) => t.kind === type)?.describe;
  const view = (
    type: AuthenticatorView['type'],
    state: AuthenticatorView['state'],
    extra: Partial<AuthenticatorView> = {},
  ): AuthenticatorView => ({
    id: `${type}-${state}`,
    userId: 'u1',
    type,
    state,
    stateReason: null,
    name: null,
    serial: null,
    createdAt: new Date(NOW).toISOString(),
    activatedAt: null,
    lastUsedAt: null,
    expiresAt: null,
    ...extra,
  });

  it('lists usable methods, strongest first, from the registry descriptions', () => {
    const methods = availableMethods(
      [
        view('access_pass', 'pending', { expiresAt: new Date(NOW + 60_000).toISOString() }),
        view('totp', 'active'),
        view('hotp', 'revoked'),
        view('recovery_codes', 'active', { remaining: 0 }),
      ],
      describe_,
      NOW,
    );
    expect(methods).toEqual([
      { method: 'otp', aal: 2, recoveryOnly: false, active: true },
      { method: 'access_pass', aal: 1, recoveryOnly: true, active: false },
    ]);
  });

  it('leaves out expired passes, spent code sets and types the registry does not know yet', () => {
    const methods = availableMethods(
      [
        view('access_pass', 'pending', { expiresAt: new Date(NOW - 1).toISOString() }),
        view('recovery_codes', 'active', { remaining: 0 }),
        view('webauthn', 'active'),
      ],
      (type) => (type === 'webauthn' ? undefined : describe_(type)),
      NOW,
    );
    expect(methods).toEqual([]);
  });

  it('never lets a synced passkey stand for AAL3: offers a device-bound one, else unmet', () => {
    const synced: UsedFactor = {
      kind: 'authenticator',
      type: 'webauthn',
      amr: ['swk', 'user'],
      maxAal: 2,
      phishingResistant: true,
      recoveryOnly: false,
      multiFactor: true,
    };
    expect(afterPasskeyFirst(startSignIn(2), facts([{ ...passkey, aal: 2 }]), synced).kind).toBe('finish');
    const onlySynced = afterPasskeyFirst(startSignIn(3), facts([{ ...passkey, aal: 2 }, otp]), synced);
    expect(onlySynced).toMatchObject({ kind: 'unmet', reached: 2 });
    const withDeviceBound = afterPasskeyFirst(startSignIn(3), facts([passkey, otp]), synced);
    expect(withDeviceBound.kind).toBe('continue');
    expect(withDeviceBound.state.step).toMatchObject({ name: 'second_factor', methods: ['passkey'] });
    const deviceBound: UsedFactor = { ...synced, amr: ['hwk', 'user'], maxAal: 3 };
    const done = afterSecondFactor(withDeviceBound.state, deviceBound);
    expect(done.kind).toBe('finish');
    if (done.kind === 'finish') expect(done.assurance.acr).toBe(ACR_BY_AAL[3]);
  });
});
