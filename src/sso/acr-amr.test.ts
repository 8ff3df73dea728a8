import { describe, expect, it } from 'vitest';
import { aalOfAcr, ACR_BY_AAL, assess, requiredAal, type UsedFactor } from './acr-amr.js';

const password: UsedFactor = { kind: 'password' };
const totp: UsedFactor = {
  kind: 'authenticator',
  type: 'totp',
  amr: ['otp'],
  maxAal: 2,
  phishingResistant: false,
  recoveryOnly: false,
};
const pass: UsedFactor = {
  kind: 'authenticator',
  type: 'access_pass',
  amr: ['otp'],
  maxAal: 1,
  phishingResistant: false,
  recoveryOnly: true,
};
const deviceKey: UsedFactor = {
  kind: 'authenticator',
  type: 'webauthn',
  amr: ['hwk', 'user'],
  maxAal: 3,
  phishingResistant: true,
  recoveryOnly: false,
};
const passkeyUv: UsedFactor = {
  kind: 'authenticator',
  type: 'webauthn',
  amr: ['swk', 'pin'],
  maxAal: 3,
  phishingResistant: true,
  recoveryOnly: false,
};
const strongButPhishable: UsedFactor = {
  kind: 'authenticator',
  type: 'x',
  amr: ['otp'],
  maxAal: 3,
  phishingResistant: false,
  recoveryOnly: false,
};

describe('assess', () => {
  it('password alone is AAL1 with amr pwd and no mfa', () => {
    expect(assess([password])).toEqual({ aal: 1, acr: ACR_BY_AAL[1], amr: ['pwd'] });
  });

  it('password + TOTP is AAL2 with pwd, otp, mfa', () => {
    expect(assess([password, totp])).toEqual({ aal: 2, acr: ACR_BY_AAL[2], amr: ['pwd', 'otp', 'mfa'] });
  });

  it('gives AAL3 only to a phishing-resistant authenticator', () => {
    expect(assess([password, deviceKey]).aal).toBe(3);
    expect(assess([password, strongButPhishable]).aal).toBe(2);
  });

  it('a passkey with user verification counts as two factors on its own (knowledge + possession)', () => {
    expect(assess([passkeyUv])).toMatchObject({ aal: 3, amr: ['swk', 'pin', 'mfa'] });
    // User presence ("user") is no factor: a bare security key alone is single-factor.
    expect(assess([deviceKey])).toMatchObject({ aal: 1 });
  });

  it('recovery parity: a pass never raises the level, only a verified new factor does', () => {
    expect(assess([password, pass])).toMatchObject({ aal: 1, amr: ['pwd', 'otp'] });
    expect(assess([password, pass, totp])).toMatchObject({ aal: 2, amr: ['pwd', 'otp', 'mfa'] });
  });
});

describe('requiredAal and aalOfAcr', () => {
  it('takes the lowest level acr_values lists, never under the floor, ignoring unknown values', () => {
    expect(requiredAal(undefined, 2)).toBe(2);
    expect(requiredAal(ACR_BY_AAL[3], 2)).toBe(3);
    expect(requiredAal(`${ACR_BY_AAL[3]} ${ACR_BY_AAL[2]}`, 2)).toBe(2);
    expect(requiredAal(ACR_BY_AAL[1], 2)).toBe(2);
    expect(requiredAal('urn:other:gold', 2)).toBe(2);
    expect(requiredAal(`urn:other:gold ${ACR_BY_AAL[3]}`, 1)).toBe(3);
  });

  it('reads the level of an acr, 0 for none or unknown', () => {
    expect(aalOfAcr(ACR_BY_AAL[2])).toBe(2);
    expect(aalOfAcr(undefined)).toBe(0);
    expect(aalOfAcr('aal2')).toBe(0);
  });
});
