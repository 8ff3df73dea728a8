import fc from 'fast-check';

/** Hostile values for one JSON field: wrong types, huge and odd strings, nesting, prototype keys. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    'x'.repeat(5_000),
    '\u202e\ufeff',
    '../../etc/passwd',
    "' OR 1=1 --",
    '<script>alert(1)</script>',
    '9'.repeat(400),
    -1,
    1e308,
    Number.MAX_SAFE_INTEGER + 2,
    0.5,
    true,
    null,
    [],
    {},
    { __proto__: { admin: true } },
    JSON.parse('{"__proto__":{"polluted":true}}'),
  ),
);

/**
 * A valid body, mutated: each field kept, dropped or replaced by a hostile value, and sometimes
 * an extra field. Finds what fully random bodies rarely reach: input past the first check.
 */
export function mutated(valid: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys(valid);
  return fc
    .tuple(
      fc.array(fc.constantFrom('keep', 'drop', 'replace'), {
        minLength: keys.length,
        maxLength: keys.length,
      }),
      fc.array(hostileValue, { minLength: keys.length, maxLength: keys.length }),
      fc.option(fc.tuple(fc.string({ maxLength: 12 }), hostileValue), { nil: undefined }),
    )
    .map(([actions, values, extra]) => {
      const out: Record<string, unknown> = {};
      keys.forEach((k, i) => {
        if (actions[i] === 'keep') out[k] = valid[k];
        else if (actions[i] === 'replace') out[k] = values[i];
      });
      if (extra) out[extra[0]] = extra[1];
      return out;
    });
}

/** A body for a JSON route: a mutated valid one, any JSON value, or text that is not JSON. */
export function hostileBody(valid: Record<string, unknown>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: mutated(valid).map((b) => JSON.stringify(b)) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    { weight: 1, arbitrary: fc.integer({ min: 33, max: 400 }).map((n) => '['.repeat(n) + ']'.repeat(n)) },
  );
}

/** Modest run counts: each property stays within a few seconds on the shared 2-core machine. */
export const RUNS = { numRuns: 60, timeout: 5_000 } as const;
