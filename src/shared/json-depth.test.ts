import { describe, expect, it } from 'vitest';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from './json-depth.js';

describe('jsonNestsDeeperThan', () => {
  it('counts arrays and objects, up to the limit and one past it', () => {
    const nest = (n: number) => '[{"a":'.repeat(n) + '1' + '}]'.repeat(n);
    expect(jsonNestsDeeperThan(nest(MAX_JSON_DEPTH / 2))).toBe(false);
    expect(jsonNestsDeeperThan(`[${nest(MAX_JSON_DEPTH / 2)}]`)).toBe(true);
    expect(jsonNestsDeeperThan('{"a":[1,{"b":[]}]}', 4)).toBe(false);
    expect(jsonNestsDeeperThan('{"a":[1,{"b":[]}]}', 3)).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonNestsDeeperThan(JSON.stringify({ s: '[[[[{{{{' }), 1)).toBe(false);
    expect(jsonNestsDeeperThan(JSON.stringify({ s: 'a"[[[[\\"' }), 1)).toBe(false);
    expect(jsonNestsDeeperThan(`{"s":"\\"",${'"t":'}[[]]}`, 2)).toBe(true);
  });
});
