import { describe, expect, it } from 'vitest';
import { codesEqual, isWellFormedCode } from './code-matches.js';

describe('isWellFormedCode', () => {
  it('accepts exactly `digits` ASCII digits, leading zeros included', () => {
    expect(isWellFormedCode('012345', 6)).toBe(true);
    expect(isWellFormedCode('01234567', 8)).toBe(true);
  });

  it.each([
    ['too short', '12345', 6],
    ['too long', '1234567', 6],
    ['8 digits when 6 expected', '12345678', 6],
    ['empty', '', 6],
    ['a letter', '12345a', 6],
    ['a space', '123 45', 6],
    ['a sign', '+12345', 6],
    ['a trailing newline', '123456\n', 6],
    ['full-width digits', '１２３４５６', 6],
    ['Arabic-Indic digits', '١٢٣٤٥٦', 6],
  ] as const)('refuses %s', (_what, code, digits) => {
    expect(isWellFormedCode(code, digits)).toBe(false);
  });

  it('refuses non-strings', () => {
    expect(isWellFormedCode(123456, 6)).toBe(false);
    expect(isWellFormedCode(null, 6)).toBe(false);
    expect(isWellFormedCode(undefined, 6)).toBe(false);
  });
});

describe('codesEqual', () => {
  it('is true only for identical codes', () => {
    expect(codesEqual('123456', '123456')).toBe(true);
    expect(codesEqual('123456', '123457')).toBe(false);
    expect(codesEqual('123456', '023456')).toBe(false);
  });

  it('returns false rather than throwing on unequal lengths', () => {
    expect(codesEqual('123456', '12345')).toBe(false);
    expect(codesEqual('123456', '1234567')).toBe(false);
  });
});
