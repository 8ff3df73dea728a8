import { describe, expect, it } from 'vitest';
import { ACR_BY_AAL } from '../sso/acr-amr.js';
import { FRESH_SECONDS, isFresh } from './freshness.js';

describe('isFresh', () => {
  const now = 1_800_000_000;
  it('needs a sign-in within five minutes at the level of the strongest factor', () => {
    expect(isFresh({ acr: ACR_BY_AAL[2], loginTs: now - 60 }, 2, now)).toBe(true);
    expect(isFresh({ acr: ACR_BY_AAL[2], loginTs: now - FRESH_SECONDS - 1 }, 2, now)).toBe(false);
    expect(isFresh({ acr: ACR_BY_AAL[2], loginTs: now - 60 }, 3, now)).toBe(false);
    expect(isFresh({ acr: ACR_BY_AAL[3], loginTs: now - 60 }, 3, now)).toBe(true);
    expect(isFresh({ acr: undefined, loginTs: now }, 2, now)).toBe(false);
    // A sign-in "from the future" (clock trouble) proves nothing.
    expect(isFresh({ acr: ACR_BY_AAL[3], loginTs: now + 600 }, 2, now)).toBe(false);
  });
});
