import { scimError } from './scim-errors.js';

/** One lexical unit of a filter or a PATCH path. */
export type Token =
  | { kind: '(' | ')' | '[' | ']'; pos: number }
  | { kind: 'word'; text: string; pos: number }
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'number'; value: number; pos: number };

/** Attribute paths, operators and the literals true/false/null (URNs carry ':' and '.'). */
const WORD = /[A-Za-z$][A-Za-z0-9_$:.-]*/y;
/** A JSON number. */
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
/** A sub-attribute after a value filter: `].value`. */
const SUB = /\.[A-Za-z$][A-Za-z0-9_$-]*/y;
const SPACE = /[ \t\r\n]+/y;

/**
 * The end (exclusive) of the JSON string literal starting at `pos`, or undefined when it is
 * unterminated, holds a raw control character or an escape JSON does not know.
 */
function scanString(text: string, pos: number): number | undefined {
  for (let i = pos + 1; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) return undefined;
    if (c === 0x5c) {
      const e = text[i + 1];
      if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 5;
      else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 1;
      else return undefined;
    }
  }
  return undefined;
}

function match(re: RegExp, text: string, pos: number): string | undefined {
  re.lastIndex = pos;
  return re.exec(text)?.[0];
}

/**
 * Splits filter text into tokens, or throws invalidFilter naming the position. Linear in the
 * input: every pattern is sticky and none backtracks beyond one token.
 */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let pos = 0;
  while (pos < text.length) {
    const c = text[pos]!;
    const space = match(SPACE, text, pos);
    if (space) {
      pos += space.length;
      continue;
    }
    if (c === '(' || c === ')' || c === '[' || c === ']') {
      out.push({ kind: c, pos });
      pos += 1;
      continue;
    }
    if (c === '"') {
      const end = scanString(text, pos);
      if (end === undefined)
        throw scimError('invalidFilter', `unterminated or malformed string at position ${pos}`);
      const value = JSON.parse(text.slice(pos, end)) as string;
      // No stored value holds NUL (PostgreSQL text cannot): such a string is no value of ours.
      if (value.includes('\u0000')) throw scimError('invalidFilter', `a string holds NUL at position ${pos}`);
      out.push({ kind: 'string', value, pos });
      pos = end;
      continue;
    }
    const word = match(WORD, text, pos) ?? (c === '.' ? match(SUB, text, pos) : undefined);
    if (word) {
      out.push({ kind: 'word', text: word, pos });
      pos += word.length;
      continue;
    }
    const num = match(NUMBER, text, pos);
    if (num) {
      const value = Number(num);
      if (!Number.isFinite(value)) throw scimError('invalidFilter', `number out of range at position ${pos}`);
      out.push({ kind: 'number', value, pos });
      pos += num.length;
      continue;
    }
    throw scimError('invalidFilter', `unexpected character at position ${pos}`);
  }
  return out;
}
