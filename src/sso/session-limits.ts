import type { Aal } from './acr-amr.js';

/**
 * How long a sign-in lasts before the person must authenticate again (NIST SP 800-63B 2.2.3,
 * 2.3.3). Pure: times are epoch seconds, as oidc-provider keeps them.
 */
export interface SessionLimit {
  /** From sign-in, whatever happens. */
  maxSeconds: number;
  /** Without activity. */
  idleSeconds: number;
}

const HOUR = 3600;

/** The NIST ceilings: AAL2 24 h overall and 1 h idle; AAL3 12 h and 15 min. */
export const NIST_SESSION_LIMITS: Readonly<Record<2 | 3, SessionLimit>> = {
  2: { maxSeconds: 24 * HOUR, idleSeconds: HOUR },
  3: { maxSeconds: 12 * HOUR, idleSeconds: 15 * 60 },
};

/** The limits per level; each configured value can only lower a ceiling, never raise it. */
export type SessionLimits = Readonly<Record<Aal, SessionLimit>>;

/** Limits from the configuration (hours overall, minutes idle), capped by the NIST ceilings. */
export function sessionLimits(configured: { maxHours?: number; idleMinutes?: number } = {}): SessionLimits {
  const cap = (ceiling: SessionLimit): SessionLimit => ({
    maxSeconds: Math.min(ceiling.maxSeconds, (configured.maxHours ?? Infinity) * HOUR),
    idleSeconds: Math.min(ceiling.idleSeconds, (configured.idleMinutes ?? Infinity) * 60),
  });
  const aal2 = cap(NIST_SESSION_LIMITS[2]);
  // AAL1 sessions get no looser limits than AAL2 (Portcullis never ends a sign-in at AAL1 anyway).
  return { 1: aal2, 2: aal2, 3: cap(NIST_SESSION_LIMITS[3]) };
}

/**
 * Seconds a session may live from `now`: the idle limit, cut at the overall limit from sign-in.
 * Each time the session is used this is computed afresh, so idleness is what ends it. A session
 * without a sign-in yet lives at most the AAL2 idle limit. 0 means it is over.
 */
export function sessionTtlSeconds(
  limits: SessionLimits,
  aal: Aal | 0,
  loginTs: number | undefined,
  now: number,
): number {
  const limit = limits[aal === 0 ? 2 : aal];
  if (loginTs === undefined) return limit.idleSeconds;
  return Math.max(0, Math.min(limit.idleSeconds, loginTs + limit.maxSeconds - now));
}

/** Whether a sign-in at `loginTs` is past its overall limit at `now`. */
export function pastOverallLimit(limits: SessionLimits, aal: Aal | 0, loginTs: number, now: number): boolean {
  return now - loginTs >= limits[aal === 0 ? 2 : aal].maxSeconds;
}

/**
 * Seconds a refresh token may live: until the overall limit of the sign-in it descends from, so
 * refreshing never outlasts the re-authentication NIST asks for (an absolute expiry).
 */
export function refreshTokenTtlSeconds(
  limits: SessionLimits,
  aal: Aal | 0,
  authTime: number,
  now: number,
): number {
  return Math.max(0, authTime + limits[aal === 0 ? 2 : aal].maxSeconds - now);
}

/**
 * Whether a session is still alive at `now` on the runtime's clock (seconds): used within the
 * idle limit since `seenAt` and within the overall limit since `signedInAt` (absent before a
 * sign-in: then only idleness ends it). This is the check that decides; oidc-provider's own
 * expiry (its system clock) only ever ends a session sooner.
 */
export function sessionAlive(
  limits: SessionLimits,
  aal: Aal | 0,
  stamps: { signedInAt: number | undefined; seenAt: number },
  now: number,
): boolean {
  const limit = limits[aal === 0 ? 2 : aal];
  if (now - stamps.seenAt >= limit.idleSeconds) return false;
  return stamps.signedInAt === undefined || now - stamps.signedInAt < limit.maxSeconds;
}
