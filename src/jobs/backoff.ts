/** First retry delay; each later one doubles. */
export const RETRY_BASE_MS = 30_000;
/** Longest wait between two runs. */
export const RETRY_CAP_MS = 60 * 60_000;

/** How long to wait after the `attempts`-th failed run: 30 s, 1 min, 2 min, … capped at 1 h. */
export function retryDelayMs(attempts: number): number {
  return Math.min(RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1), RETRY_CAP_MS);
}

/** Where a failed run leaves its job: queued again after back-off, or final. */
export type FailureOutcome = { state: 'queued'; retryAt: number } | { state: 'failed' | 'dead' };

/** Decides the outcome of a failed run (pure): permanent errors fail at once; the last attempt dies. */
export function afterFailure(
  job: { attempts: number; maxAttempts: number },
  permanent: boolean,
  now: number,
): FailureOutcome {
  if (permanent) return { state: 'failed' };
  if (job.attempts >= job.maxAttempts) return { state: 'dead' };
  return { state: 'queued', retryAt: now + retryDelayMs(job.attempts) };
}
