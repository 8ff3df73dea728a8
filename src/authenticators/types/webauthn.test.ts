import { describe, expect, it } from 'vitest';
import { passkeyStrength, webauthnType } from './webauthn.js';

describe('webauthn type', () => {
  it('classifies a device-bound key as hwk (AAL3) and a synced passkey as swk (AAL2)', () => {
    expect(passkeyStrength({ backupEligible: false, userVerified: false })).toEqual({
      amr: ['hwk'],
      maxAal: 3,
      multiFactor: false,
    });
    expect(passkeyStrength({ backupEligible: true, userVerified: true })).toEqual({
      amr: ['swk', 'user'],
      maxAal: 2,
      multiFactor: true,
    });
  });

  it('describes itself as phishing-resistant, not validatable, and is never issued by the API', () => {
    expect(webauthnType.describe).toMatchObject({ phishingResistant: true, validatable: false, maxAal: 3 });
    expect(() =>
      webauthnType.issue({ type: 'webauthn' }, { now: 0, issuer: 'x', account: 'y', accessPassMinutes: 5 }),
    ).toThrow();
  });
});
