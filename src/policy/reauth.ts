const HOUR_MS = 60 * 60 * 1000;

/**
 * Whether a sign-in made at `signedInAt` (ms, runtime clock) is too old for a policy that asks
 * to re-authenticate every `reauthHours`. An unknown sign-in time is too old: a session is never
 * reused on a guess. Pure.
 */
export function reauthDue(signedInAt: number | undefined, reauthHours: number, now: number): boolean {
  return signedInAt === undefined || now - signedInAt >= reauthHours * HOUR_MS;
}
