import { describe, expect, it } from 'vitest';
import { BatchScope } from './batch-scope.js';

describe('BatchScope', () => {
  it('flushes each flusher once with its items in order', async () => {
    const scope = new BatchScope();
    const calls: Array<[string, unknown[]]> = [];
    const a = async (_t: unknown, items: number[]) => void calls.push(['a', items]);
    const b = async (_t: unknown, items: string[]) => void calls.push(['b', items]);
    scope.defer(a, 1);
    scope.defer(b, 'x');
    scope.defer(a, 2);
    await scope.flush({} as never);
    expect(calls).toEqual([
      ['a', [1, 2]],
      ['b', ['x']],
    ]);
  });

  it('drops what a rolled-back unit deferred and keeps the rest', async () => {
    const scope = new BatchScope();
    const seen: number[][] = [];
    const f = async (_t: unknown, items: number[]) => void seen.push([...items]);
    scope.defer(f, 1);
    const mark = scope.mark();
    scope.defer(f, 2);
    scope.defer(f, 3);
    scope.rollbackTo(mark);
    scope.defer(f, 4);
    await scope.flush({} as never);
    expect(seen).toEqual([[1, 4]]);
  });
});
