/** The 1-based nearest rank of the q-quantile (0..1) among `n` > 0 values. */
export function nearestRank(n: number, q: number): number {
  return Math.min(n, Math.max(1, Math.ceil(q * n)));
}

/** The q-quantile (0..1) of ascending `sorted` values by nearest rank; null when there are none. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[nearestRank(sorted.length, q) - 1] ?? null;
}

/** `part / whole`, or 0 when there is no whole (an empty organisation has no friction to show). */
export function ratio(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}
