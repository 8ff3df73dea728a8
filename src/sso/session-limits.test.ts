import { describe, expect, it } from 'vitest';
import {
  NIST_SESSION_LIMITS,
  pastOverallLimit,
  refreshTokenTtlSeconds,
  sessionAlive,
  sessionLimits,
  sessionTtlSeconds,
} from './session-limits.js';

const H = 3600;

describe('session limits (NIST SP 800-63B)', () => {
  it('uses the NIST ceilings by default: AAL2 24 h / 1 h idle, AAL3 12 h / 15 min idle', () => {
    const l = sessionLimits();
    expect(l[2]).toEqual({ maxSeconds: 24 * H, idleSeconds: H });
    expect(l[3]).toEqual({ maxSeconds: 12 * H, idleSeconds: 15 * 60 });
    expect(l[1]).toEqual(l[2]);
  });

  it('lets configuration lower the limits, never raise them', () => {
    const lower = sessionLimits({ maxHours: 8, idleMinutes: 30 });
    expect(lower[2]).toEqual({ maxSeconds: 8 * H, idleSeconds: 30 * 60 });
    expect(lower[3]).toEqual({ maxSeconds: 8 * H, idleSeconds: 15 * 60 });
    const higher = sessionLimits({ maxHours: 48, idleMinutes: 240 });
    expect(higher[2]).toEqual(NIST_SESSION_LIMITS[2]);
    expect(higher[3]).toEqual(NIST_SESSION_LIMITS[3]);
  });

  it('a session lives the idle limit from its last use, cut at the overall limit (controlled clock)', () => {
    const l = sessionLimits();
    const login = 1_000_000;
    expect(sessionTtlSeconds(l, 2, login, login)).toBe(H);
    expect(sessionTtlSeconds(l, 3, login, login)).toBe(15 * 60);
    expect(sessionTtlSeconds(l, 2, login, login + 23.5 * H)).toBe(0.5 * H);
    expect(sessionTtlSeconds(l, 2, login, login + 25 * H)).toBe(0);
    expect(sessionTtlSeconds(l, 3, login, login + 12 * H)).toBe(0);
    expect(sessionTtlSeconds(l, 0, undefined, login)).toBe(H);
  });

  it('says when a sign-in is past its overall limit', () => {
    const l = sessionLimits();
    expect(pastOverallLimit(l, 2, 0, 24 * H - 1)).toBe(false);
    expect(pastOverallLimit(l, 2, 0, 24 * H)).toBe(true);
    expect(pastOverallLimit(l, 3, 0, 12 * H)).toBe(true);
  });

  it('caps refresh tokens at the re-authentication deadline (absolute expiry)', () => {
    const l = sessionLimits();
    expect(refreshTokenTtlSeconds(l, 2, 0, 0)).toBe(24 * H);
    expect(refreshTokenTtlSeconds(l, 2, 0, 20 * H)).toBe(4 * H);
    expect(refreshTokenTtlSeconds(l, 3, 0, 20 * H)).toBe(0);
  });

  it('keeps a session alive within its idle and overall limits only', () => {
    const l = sessionLimits();
    const at = (signedInAt: number | undefined, seenAt: number) => ({ signedInAt, seenAt });
    expect(sessionAlive(l, 2, at(0, 0), H - 1)).toBe(true);
    expect(sessionAlive(l, 2, at(0, 0), H)).toBe(false);
    expect(sessionAlive(l, 3, at(0, 0), 15 * 60 - 1)).toBe(true);
    expect(sessionAlive(l, 3, at(0, 0), 15 * 60)).toBe(false);
    expect(sessionAlive(l, 2, at(0, 24 * H - 60), 24 * H - 1)).toBe(true);
    expect(sessionAlive(l, 2, at(0, 24 * H - 60), 24 * H)).toBe(false);
    expect(sessionAlive(l, 3, at(0, 12 * H - 60), 12 * H)).toBe(false);
    expect(sessionAlive(l, 0, at(undefined, 0), H - 1)).toBe(true);
  });
});
