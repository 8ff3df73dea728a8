import { type ScimType, scimError } from './scim-errors.js';
import { type Token, tokenize } from './filter-tokens.js';

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type CompValue = string | number | boolean | null;

/** An attribute path as written: `[urn:]attr[.sub]` (names resolved later, case-insensitively). */
export interface AttrPath {
  urn: string | null;
  attr: string;
  sub: string | null;
}

/** The filter AST (RFC 7644 §3.4.2.2). `and`/`or` are n-ary, so long chains stay shallow. */
export type Filter =
  | { kind: 'and' | 'or'; items: Filter[] }
  | { kind: 'not'; item: Filter }
  | { kind: 'compare'; path: AttrPath; op: CompareOp; value: CompValue }
  | { kind: 'present'; path: AttrPath }
  /** `attr[filter]`: the inner filter's paths name sub-attributes of `path`. */
  | { kind: 'valuePath'; path: AttrPath; filter: Filter };

/** Bounds that keep parsing and the SQL it becomes small whatever a client sends. */
export const FILTER_LIMITS = { maxLength: 2000, maxDepth: 20, maxTerms: 100 } as const;

const COMPARE_OPS = new Set<string>(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
const NAME = /^[A-Za-z$][A-Za-z0-9_$-]*$/;

/** Splits `[urn:]attr[.sub]`; undefined when it is no attribute path. */
export function splitAttrPath(text: string): AttrPath | undefined {
  const colon = text.lastIndexOf(':');
  const urn = colon >= 0 ? text.slice(0, colon) : null;
  if (urn !== null && !/^urn:/i.test(urn)) return undefined;
  const parts = text.slice(colon + 1).split('.');
  if (parts.length > 2 || !parts.every((p) => NAME.test(p))) return undefined;
  return { urn, attr: parts[0]!, sub: parts[1] ?? null };
}

/** Recursive descent over the tokens, counting depth and terms as it goes. */
class Parser {
  private i = 0;
  private terms = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly scimType: ScimType,
  ) {}

  fail(why: string): never {
    const at = this.tokens[this.i]?.pos;
    throw scimError(this.scimType, at === undefined ? why : `${why} at position ${at}`);
  }

  peek(): Token | undefined {
    return this.tokens[this.i];
  }

  skip(): void {
    this.i += 1;
  }

  atEnd(): boolean {
    return this.i >= this.tokens.length;
  }

  take(kind: Token['kind']): Token {
    const t = this.tokens[this.i];
    if (t?.kind !== kind) this.fail(`expected '${kind}'`);
    this.i += 1;
    return t;
  }

  isWord(word: string): boolean {
    const t = this.peek();
    return t?.kind === 'word' && t.text.toLowerCase() === word;
  }

  /** FILTER = term *("or" term), where "and" binds tighter than "or". */
  or(depth: number, inValue: boolean): Filter {
    const items = [this.and(depth, inValue)];
    while (this.isWord('or')) {
      this.i += 1;
      items.push(this.and(depth, inValue));
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }

  and(depth: number, inValue: boolean): Filter {
    const items = [this.unary(depth, inValue)];
    while (this.isWord('and')) {
      this.i += 1;
      items.push(this.unary(depth, inValue));
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  }

  unary(depth: number, inValue: boolean): Filter {
    if (this.isWord('not') && this.tokens[this.i + 1]?.kind === '(') {
      this.i += 1;
      return { kind: 'not', item: this.group(depth + 1, inValue) };
    }
    if (this.peek()?.kind === '(') return this.group(depth + 1, inValue);
    return this.attrExp(depth, inValue);
  }

  group(depth: number, inValue: boolean): Filter {
    if (depth > FILTER_LIMITS.maxDepth) this.fail(`nested deeper than ${FILTER_LIMITS.maxDepth}`);
    this.take('(');
    const inner = this.or(depth, inValue);
    this.take(')');
    return inner;
  }

  path(inValue: boolean): AttrPath {
    const t = this.peek();
    const path = t?.kind === 'word' ? splitAttrPath(t.text) : undefined;
    if (!path) this.fail('expected an attribute path');
    if (inValue && (path.urn !== null || path.sub !== null))
      this.fail('a value filter names sub-attributes only');
    this.i += 1;
    return path;
  }

  attrExp(depth: number, inValue: boolean): Filter {
    const path = this.path(inValue);
    if (this.peek()?.kind === '[') {
      if (inValue) this.fail('value filters do not nest');
      if (path.sub !== null) this.fail('a value filter applies to an attribute, not a sub-attribute');
      if (depth + 1 > FILTER_LIMITS.maxDepth) this.fail(`nested deeper than ${FILTER_LIMITS.maxDepth}`);
      this.take('[');
      const filter = this.or(depth + 1, true);
      this.take(']');
      return { kind: 'valuePath', path, filter };
    }
    if (++this.terms > FILTER_LIMITS.maxTerms) this.fail(`more than ${FILTER_LIMITS.maxTerms} comparisons`);
    const opToken = this.peek();
    const op = opToken?.kind === 'word' ? opToken.text.toLowerCase() : '';
    if (op === 'pr') {
      this.i += 1;
      return { kind: 'present', path };
    }
    if (!COMPARE_OPS.has(op)) this.fail('expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)');
    this.i += 1;
    return { kind: 'compare', path, op: op as CompareOp, value: this.value() };
  }

  value(): CompValue {
    const t = this.peek();
    this.i += 1;
    if (t?.kind === 'string' || t?.kind === 'number') return t.value;
    const word = t?.kind === 'word' ? t.text.toLowerCase() : '';
    if (word === 'true') return true;
    if (word === 'false') return false;
    if (word === 'null') return null;
    this.i -= 1;
    return this.fail('expected a value (a string, number, true, false or null)');
  }
}

function checkLength(text: string, scimType: ScimType): void {
  if (text.length > FILTER_LIMITS.maxLength) {
    throw scimError(scimType, `longer than ${FILTER_LIMITS.maxLength} characters`);
  }
}

/** Parses a filter (RFC 7644 §3.4.2.2); anything malformed or oversize is 400 invalidFilter. */
export function parseFilter(text: string): Filter {
  checkLength(text, 'invalidFilter');
  const p = new Parser(tokenize(text), 'invalidFilter');
  if (p.atEnd()) p.fail('the filter is empty');
  const filter = p.or(0, false);
  if (!p.atEnd()) p.fail('unexpected input');
  return filter;
}

/** A PATCH path (RFC 7644 §3.5.2): `attrPath` or `attrPath[valFilter][.sub]`. */
export interface PatchPath {
  path: AttrPath;
  filter: Filter | null;
}

/** Parses a PATCH path; anything malformed is 400 invalidPath. */
export function parsePatchPath(text: string): PatchPath {
  checkLength(text, 'invalidPath');
  let tokens: Token[];
  try {
    tokens = tokenize(text);
  } catch {
    throw scimError('invalidPath', `"${text.slice(0, 100)}" is not a valid path`);
  }
  const p = new Parser(tokens, 'invalidPath');
  const path = p.path(false);
  if (p.atEnd()) return { path, filter: null };
  p.take('[');
  if (path.sub !== null) p.fail('a value filter applies to an attribute, not a sub-attribute');
  const filter = p.or(1, true);
  p.take(']');
  const rest = p.peek();
  let sub: string | null = null;
  if (rest?.kind === 'word' && rest.text.startsWith('.')) {
    sub = rest.text.slice(1);
    p.skip();
  }
  if (!p.atEnd()) p.fail('unexpected input after the value filter');
  return { path: { ...path, sub }, filter };
}
