import { describe, expect, it } from 'vitest';
import { isAppError } from '../../shared/errors.js';
import { parseCsv } from './csv.js';
import { readPeopleCsv } from './people-csv.js';

const people = (text: string) => readPeopleCsv(parseCsv(text));
const errorOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (isAppError(err)) return err;
    throw err;
  }
  throw new Error('no error');
};

describe('parseCsv (RFC 4180)', () => {
  it('quotes, doubled quotes, commas and line breaks inside quotes, CRLF, a BOM, blank lines', () => {
    const text = '\uFEFFa,b\r\n"x, y","say ""hi"""\r\n\r\n"multi\nline",z\n';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 4, fields: ['multi\nline', 'z'] },
    ]);
  });

  it('keeps empty fields and a last line without a newline', () => {
    expect(parseCsv('a,,c\n,,')).toEqual([
      { line: 1, fields: ['a', '', 'c'] },
      { line: 2, fields: ['', '', ''] },
    ]);
  });

  it('names the line of a malformed quote', () => {
    expect(errorOf(() => parseCsv('a\n"open,b\n')).message).toMatch(/^line 2:/);
    expect(errorOf(() => parseCsv('a\nb"c\n')).message).toMatch(/^line 2:/);
    expect(errorOf(() => parseCsv('a\n"x"y\n')).code).toBe('VALIDATION_FAILED');
  });
});

describe('readPeopleCsv', () => {
  it('reads the columns the header names, in any order and case; empty cells clear, absent columns leave', () => {
    const [p] = people('EMAIL,username,Groups,manager\nann@example.org,ann,staff; admins ;staff,\n');
    expect(p).toEqual({
      line: 2,
      username: 'ann',
      email: 'ann@example.org',
      groups: ['staff', 'admins'],
      manager: null,
    });
    expect(p!.displayName).toBeUndefined();
  });

  it('refuses a bad row naming its line and column', () => {
    const cases: Array<[string, RegExp]> = [
      ['username,email\nann,not-an-address\n', /^line 2: email/],
      ['username,email\nann\n', /^line 2: 1 fields/],
      ['username\nann\n"bad name"\n', /^line 3: username/],
      ['username\nann\nAnn\n', /^line 3: username Ann is also on line 2/],
      ['username,externalId\na,X1\nb,X1\n', /^line 3: externalId X1 is also on line 2/],
      ['username,phone\na,1\n', /^line 1: unknown column "phone"/],
      ['email\na@b.org\n', /^line 1: the header must name a username column/],
    ];
    for (const [text, message] of cases) {
      const err = errorOf(() => people(text));
      expect(err.code).toBe('VALIDATION_FAILED');
      expect(err.message).toMatch(message);
    }
  });
});
