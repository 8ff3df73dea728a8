import { groupMatches, type RequirableType, type Rule } from './rule.js';

/** An identity change, as the rules see it. */
export type LifecycleEvent =
  | { kind: 'joined'; groups: readonly string[] }
  | { kind: 'groupsChanged'; before: readonly string[]; after: readonly string[] };

/** The enrolment a person must make, merged from every rule that fired. */
export interface RequirementPlan {
  reason: 'joiner' | 'mover';
  requiredTypes: RequirableType[];
  phishingResistant: boolean;
  escalateAfterDays: number | null;
  /** The groups whose entry made it (for the record: lapsing is re-evaluated from the rules). */
  triggerGroups: string[];
  ruleIds: string[];
}

/** What the rules decide for one event. */
export interface Decision {
  requirement: RequirementPlan | null;
  /** Bind one hardware token from the inventory (`type` null: any OTP type). */
  bindHardwareToken: { type: 'totp' | 'hotp' | null; ruleId: string } | null;
  /** A joiner rule hands the manager a day-one pass this many days before the start date (the earliest asked). */
  passToManager: { daysBefore: number; ruleId: string } | null;
}

interface Fired {
  rule: Rule;
  /** The groups that matched the rule (empty for an everyone rule). */
  groups: string[];
}

const lower = (names: readonly string[]) => new Set(names.map((n) => n.toLowerCase()));

/** Groups of `after` not in `before` (case-insensitive, as group names are unique that way). */
export function addedGroups(before: readonly string[], after: readonly string[]): string[] {
  const had = lower(before);
  return after.filter((g) => !had.has(g.toLowerCase()));
}

/** The rules an event fires. Entering a group fires its mover rules, also at join. */
function fired(event: LifecycleEvent, rules: readonly Rule[]): Fired[] {
  const entered = event.kind === 'joined' ? [...event.groups] : addedGroups(event.before, event.after);
  const out: Fired[] = [];
  for (const rule of rules) {
    if (!rule.enabled) continue;
    const matching = rule.groupName ? entered.filter((g) => groupMatches(rule.groupName!, g)) : [];
    if (rule.trigger === 'joiner' && event.kind === 'joined') {
      const pattern = rule.groupName;
      const member = pattern === null || event.groups.some((g) => groupMatches(pattern, g));
      if (member) out.push({ rule, groups: matching });
    } else if (rule.trigger === 'mover' && (rule.groupName ? matching.length > 0 : entered.length > 0)) {
      out.push({ rule, groups: rule.groupName ? matching : entered });
    }
  }
  return out;
}

/**
 * Merges the requirements of several rules into the one a person is asked to meet: the
 * strictest of each (phishing resistance if any asks, the earliest escalation; the deadline is policy's),
 * accepting the types every rule accepts, or failing an overlap those of the strictest ones.
 */
export function mergeRequirements(
  reason: 'joiner' | 'mover',
  fired: readonly Fired[],
): RequirementPlan | null {
  const parts = fired.filter((f) => f.rule.action.require !== undefined);
  if (parts.length === 0) return null;
  const phishingResistant = parts.some((p) => p.rule.action.phishingResistant);
  const strict = phishingResistant ? parts.filter((p) => p.rule.action.phishingResistant) : parts;
  let types = [...strict[0]!.rule.action.require!];
  for (const p of parts) {
    const narrowed = types.filter((t) => p.rule.action.require!.includes(t));
    if (narrowed.length > 0) types = narrowed;
  }
  const escalations = parts
    .map((p) => p.rule.action.escalateAfterDays)
    .filter((d): d is number => d !== null);
  return {
    reason,
    requiredTypes: types,
    phishingResistant,
    escalateAfterDays: escalations.length > 0 ? Math.min(...escalations) : null,
    triggerGroups: [...new Set(parts.flatMap((p) => p.groups))],
    ruleIds: parts.map((p) => p.rule.id),
  };
}

/** The pure rule evaluator: one event and the rules in, what to do out. */
export function evaluateRules(event: LifecycleEvent, rules: readonly Rule[]): Decision {
  const hits = fired(event, rules);
  const reason = event.kind === 'joined' ? 'joiner' : 'mover';
  const binder = hits.find((f) => f.rule.action.bindHardwareToken);
  const passers = hits.filter(
    (f) => f.rule.trigger === 'joiner' && f.rule.action.passToManagerDaysBefore !== undefined,
  );
  const passer = passers.sort(
    (a, b) => b.rule.action.passToManagerDaysBefore! - a.rule.action.passToManagerDaysBefore!,
  )[0];
  return {
    passToManager: passer
      ? { daysBefore: passer.rule.action.passToManagerDaysBefore!, ruleId: passer.rule.id }
      : null,
    requirement: mergeRequirements(reason, hits),
    bindHardwareToken: binder ? { type: binder.rule.action.tokenType ?? null, ruleId: binder.rule.id } : null,
  };
}

/**
 * Whether a mover requirement still applies after a change: the person's groups as they are now
 * still fire a mover rule that asks at least as much (phishing resistance, if it asked for it).
 * Re-evaluated from the rules, so leaving one of two admin groups keeps it, leaving both ends it.
 */
export function moverStillApplies(
  phishingResistant: boolean,
  groups: readonly string[],
  rules: readonly Rule[],
): boolean {
  const now = evaluateRules({ kind: 'groupsChanged', before: [], after: groups }, rules).requirement;
  return now !== null && (now.phishingResistant || !phishingResistant);
}
