import { timingSafeEqual } from 'node:crypto';

const DIGITS_ONLY = /^[0-9]+$/;

/** True when `candidate` is a string of exactly `digits` ASCII digits; anything else is simply not a code. */
export function isWellFormedCode(candidate: unknown, digits: number): candidate is string {
  // Shape is checked first so timingSafeEqual never sees unequal lengths (it would throw).
  return typeof candidate === 'string' && candidate.length === digits && DIGITS_ONLY.test(candidate);
}

/** Compares two equal-length digit strings without leaking how many leading digits matched. */
export function codesEqual(expected: string, candidate: string): boolean {
  const a = Buffer.from(expected, 'ascii');
  const b = Buffer.from(candidate, 'ascii');
  return a.length === b.length && timingSafeEqual(a, b);
}
