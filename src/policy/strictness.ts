import type { Requirement, RuleField } from './policy-model.js';

/**
 * What "stricter" means for each rule, and its opposite (used when several exceptions waive the
 * same rule: the most lenient waiver is what was granted). Pure.
 */
type Pick2<K extends RuleField> = (a: Requirement[K], b: Requirement[K]) => Requirement[K];
type PerField = { [K in RuleField]: Pick2<K> };

const both = <T>(a: readonly T[], b: readonly T[]) => a.filter((x) => b.includes(x));
const either = <T>(a: readonly T[], b: readonly T[]) => [...a, ...b.filter((x) => !a.includes(x))];
const desc = (xs: number[]) => [...xs].sort((x, y) => y - x);

/** The stricter of two values of a rule: higher level, fewer types, shorter periods, more reminders. */
export const STRICTER: PerField = {
  aal: (a, b) => Math.max(a, b) as Requirement['aal'],
  allowedTypes: both,
  phishingResistant: (a, b) => a || b,
  graceDays: Math.min,
  reminderDays: (a, b) => desc(either(a, b)),
  reauthHours: Math.min,
  recoveryPaths: both,
  accessPassMinutes: Math.min,
  // A pass handed over by the manager passes through a second person: the stricter path.
  accessPassDelivery: (a, b) => (a === 'manager' || b === 'manager' ? 'manager' : 'agent'),
  maxExceptionDays: Math.min,
};

/** The more lenient of two values of a rule. */
export const LENIENT: PerField = {
  aal: (a, b) => Math.min(a, b) as Requirement['aal'],
  allowedTypes: either,
  phishingResistant: (a, b) => a && b,
  graceDays: Math.max,
  reminderDays: (a, b) => desc(both(a, b)),
  reauthHours: Math.max,
  recoveryPaths: either,
  accessPassMinutes: Math.max,
  accessPassDelivery: (a, b) => (a === 'agent' || b === 'agent' ? 'agent' : 'manager'),
  maxExceptionDays: Math.max,
};

/** Combines values of one rule with `pick` (STRICTER or LENIENT). */
export function combine<K extends RuleField>(
  field: K,
  pick: PerField,
  values: readonly Requirement[K][],
): Requirement[K] | undefined {
  const f = pick[field] as Pick2<K>;
  return values.reduce<Requirement[K] | undefined>(
    (acc, v) => (acc === undefined ? v : f(acc, v)),
    undefined,
  );
}

/** Deep equality of two rule values (numbers, booleans, strings, arrays of them). */
export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
