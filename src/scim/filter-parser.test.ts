import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../shared/errors.js';
import { FILTER_LIMITS, type Filter, parseFilter, parsePatchPath } from './filter-parser.js';

/** The scimType of what `fn` throws (undefined when it does not throw). */
function scimTypeOf(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (err) {
    return isAppError(err) ? err.details?.scimType : `not an AppError: ${String(err)}`;
  }
}

/**
 * The shortest of three runs of `fn`, in ms. These bounds guard against catastrophic
 * backtracking, which is slow on every run; a pause of the machine (GC, another process) slows
 * one run, not all three.
 */
function fastestOfThree(fn: () => unknown): number {
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    fn();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

const cmp = (
  attr: string,
  op: string,
  value: unknown,
  urn: string | null = null,
  sub: string | null = null,
) => ({
  kind: 'compare',
  path: { urn, attr, sub },
  op,
  value,
});

describe('parseFilter', () => {
  it('parses every comparison operator, case-insensitively, with each kind of value', () => {
    for (const op of ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']) {
      expect(parseFilter(`userName ${op.toUpperCase()} "bjensen"`)).toEqual(cmp('userName', op, 'bjensen'));
    }
    expect(parseFilter('active eq TRUE')).toEqual(cmp('active', 'eq', true));
    expect(parseFilter('active eq false')).toEqual(cmp('active', 'eq', false));
    expect(parseFilter('title eq null')).toEqual(cmp('title', 'eq', null));
    expect(parseFilter('x gt -1.5e3')).toEqual(cmp('x', 'gt', -1500));
    expect(parseFilter('title pr')).toEqual({
      kind: 'present',
      path: { urn: null, attr: 'title', sub: null },
    });
  });

  it('reads sub-attributes and schema URNs (with their dots) in attribute paths', () => {
    expect(parseFilter('name.familyName co "O\'Malley"')).toEqual(
      cmp('name', 'co', "O'Malley", null, 'familyName'),
    );
    expect(
      parseFilter('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "42"'),
    ).toEqual(
      cmp('manager', 'eq', '42', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', 'value'),
    );
  });

  it('binds not tighter than and, and tighter than or; parentheses group', () => {
    const f = parseFilter('a pr or b pr and not (c pr)');
    expect(f).toMatchObject({
      kind: 'or',
      items: [
        { kind: 'present' },
        { kind: 'and', items: [{ kind: 'present' }, { kind: 'not', item: { kind: 'present' } }] },
      ],
    });
    expect(parseFilter('(a pr or b pr) and c pr')).toMatchObject({
      kind: 'and',
      items: [{ kind: 'or' }, { kind: 'present' }],
    });
  });

  it('keeps long and/or chains flat, not deep', () => {
    const f = parseFilter(Array.from({ length: 50 }, (_, i) => `a${i} pr`).join(' and '));
    expect(f.kind).toBe('and');
    expect((f as Extract<Filter, { kind: 'and' | 'or' }>).items).toHaveLength(50);
  });

  it('parses value paths, with logic inside the brackets', () => {
    expect(parseFilter('emails[type eq "work" and value co "@example.com"]')).toEqual({
      kind: 'valuePath',
      path: { urn: null, attr: 'emails', sub: null },
      filter: { kind: 'and', items: [cmp('type', 'eq', 'work'), cmp('value', 'co', '@example.com')] },
    });
  });

  it('reads JSON escapes in strings: an injection attempt stays one string value', () => {
    expect(parseFilter('userName eq "x\\" or \\"1\\"=\\"1"')).toEqual(cmp('userName', 'eq', 'x" or "1"="1'));
    expect(parseFilter('userName eq "a\\u0041\\n"')).toEqual(cmp('userName', 'eq', 'aA\n'));
  });

  it.each([
    ['', 'empty'],
    ['userName', 'no operator'],
    ['userName eq', 'no value'],
    ['userName eq bjensen', 'bare word value'],
    ['userName xx "a"', 'unknown operator'],
    ['userName eq "a" or "1" eq "1"', 'a literal where an attribute belongs'],
    ['userName eq "a"; drop table users', 'trailing junk'],
    ["userName eq 'a'", 'single quotes'],
    ['userName eq "a', 'unterminated string'],
    ['userName eq "a\\x"', 'unknown escape'],
    ['userName eq "a\u0001"', 'raw control character'],
    ['(userName pr', 'unbalanced parenthesis'],
    ['emails[type eq "work"', 'unbalanced bracket'],
    ['emails[type[value eq "a"]]', 'nested value filter'],
    ['emails[urn:x:y:type eq "a"]', 'urn inside a value filter'],
    ['name.givenName.x eq "a"', 'too many dots'],
    ['foo:bar eq "a"', 'a prefix that is no urn'],
    ['not userName pr', 'not without parentheses'],
    ['emails[type eq "work"].value eq "x"', 'a sub-attribute after a value filter'],
  ])('refuses %j (%s) with invalidFilter', (text) => {
    expect(scimTypeOf(() => parseFilter(text))).toBe('invalidFilter');
  });

  it('refuses filters over the length, depth and term limits', () => {
    expect(scimTypeOf(() => parseFilter(`userName eq "${'x'.repeat(FILTER_LIMITS.maxLength)}"`))).toBe(
      'invalidFilter',
    );
    const deep = (n: number) => `${'not ('.repeat(n)}a pr${')'.repeat(n)}`;
    expect(() => parseFilter(deep(FILTER_LIMITS.maxDepth))).not.toThrow();
    expect(scimTypeOf(() => parseFilter(deep(FILTER_LIMITS.maxDepth + 1)))).toBe('invalidFilter');
    expect(scimTypeOf(() => parseFilter(`${'('.repeat(500)}a pr${')'.repeat(500)}`))).toBe('invalidFilter');
    const terms = (n: number) => Array.from({ length: n }, () => 'a pr').join(' or ');
    expect(() => parseFilter(terms(FILTER_LIMITS.maxTerms))).not.toThrow();
    expect(scimTypeOf(() => parseFilter(terms(FILTER_LIMITS.maxTerms + 1)))).toBe('invalidFilter');
  });

  /** Text near the grammar, so the property explores more than "unexpected character". */
  const filterish = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          'userName',
          'emails',
          'name.givenName',
          'urn:ietf:params:x:User:y',
          'and',
          'or',
          'not',
          'pr',
        ),
        fc.constantFrom('eq', 'co', 'gt', 'true', 'null', '"a"', '"\\"', '"\\u12', '1e999', '-0.5', '.value'),
        fc.constantFrom('(', ')', '[', ']', ' ', '  ', '"', '\\', '\u0000', '\ud800'),
        fc.string({ maxLength: 8 }),
      ),
      { maxLength: 60 },
    )
    .map((parts) => parts.join(' '));

  it('never throws anything but invalidFilter, for any input, in bounded time', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300, unit: 'binary' }), filterish), (text) => {
        const t = scimTypeOf(() => parseFilter(text));
        expect(t === undefined || t === 'invalidFilter').toBe(true);
        expect(fastestOfThree(() => scimTypeOf(() => parseFilter(text)))).toBeLessThan(100);
      }),
      { numRuns: 3000 },
    );
  });

  it('parses the longest allowed filter quickly (linear, no backtracking)', () => {
    const worst = [
      `userName eq "${'\\"'.repeat(FILTER_LIMITS.maxLength / 2 - 10)}"`,
      `${'a'.repeat(FILTER_LIMITS.maxLength - 5)} pr`,
      Array.from({ length: 100 }, () => 'a pr').join(' and '),
    ];
    for (const text of worst) {
      expect(fastestOfThree(() => scimTypeOf(() => parseFilter(text)))).toBeLessThan(50);
    }
  });
});

describe('parsePatchPath', () => {
  it('reads plain paths, URN paths and value filters with a trailing sub-attribute', () => {
    expect(parsePatchPath('name.givenName')).toEqual({
      path: { urn: null, attr: 'name', sub: 'givenName' },
      filter: null,
    });
    expect(parsePatchPath('emails[type eq "work"].value')).toEqual({
      path: { urn: null, attr: 'emails', sub: 'value' },
      filter: cmp('type', 'eq', 'work'),
    });
    expect(parsePatchPath('members[value eq "2819c223"]')).toMatchObject({
      path: { attr: 'members', sub: null },
    });
    expect(
      parsePatchPath('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber').path,
    ).toEqual({
      urn: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
      attr: 'employeeNumber',
      sub: null,
    });
  });

  it.each([
    'emails[type eq "work"',
    'emails[type eq "work"].value.x',
    'emails[type eq "work"] junk',
    'name.givenName[value eq "a"]',
    'members[value eq "a"] [x pr]',
    '"quoted"',
    'a b',
  ])('refuses %j with invalidPath', (text) => {
    expect(scimTypeOf(() => parsePatchPath(text))).toBe('invalidPath');
  });
});
