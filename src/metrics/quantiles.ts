/** The q-quantile (0..1) of ascending `sorted` values by nearest rank; null when there are none. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] ?? null;
}

/** Cumulative counts of `sorted` values at or below each bound (Prometheus `le` semantics). */
export function cumulativeBuckets(
  sorted: readonly number[],
  bounds: readonly number[],
): Array<{ le: number; count: number }> {
  let i = 0;
  return bounds.map((le) => {
    while (i < sorted.length && sorted[i]! <= le) i += 1;
    return { le, count: i };
  });
}

/** `part / whole`, or 0 when there is no whole (an empty organisation has no friction to show). */
export function ratio(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}
