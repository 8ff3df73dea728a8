/** PostgreSQL's deadlock_detected and serialization_failure: the work was sound, its timing was not. */
const RETRYABLE = new Set(['40P01', '40001']);

/** Whether `err` is a conflict that running the same work again may well not meet. */
export function retryable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && RETRYABLE.has(String((err as { code?: unknown }).code));
}

/**
 * Runs `attempt` (one whole transaction) again after a deadlock or serialization failure, up to
 * `attempts` times. Only for work that is safe to repeat: nothing of a failed attempt committed.
 */
export async function withConflictRetry<T>(attempt: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!retryable(err) || i >= attempts) throw err;
    }
  }
}
