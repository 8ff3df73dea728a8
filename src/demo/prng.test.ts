import { describe, expect, it } from 'vitest';
import { createPrng } from './prng.js';

describe('demo prng', () => {
  it('repeats for a seed and differs between seeds', () => {
    const a = createPrng(42);
    const b = createPrng(42);
    const c = createPrng(43);
    const seqA = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(seqA);
    for (const v of seqA) expect(v >= 0 && v < 1).toBe(true);
  });

  it('draws integers within bounds and by weight', () => {
    const p = createPrng(7);
    const ints = Array.from({ length: 1000 }, () => p.int(3, 5));
    expect(new Set(ints)).toEqual(new Set([3, 4, 5]));
    const heavy = Array.from({ length: 1000 }, () =>
      p.weighted([
        ['a', 9],
        ['b', 1],
      ] as const),
    );
    expect(heavy.filter((x) => x === 'a').length).toBeGreaterThan(800);
  });
});
