import {
  type Policy,
  type PolicyException,
  RULE_FIELDS,
  type Requirement,
  type RuleField,
  type Rules,
} from './policy-model.js';
import { combine, LENIENT, STRICTER, sameValue } from './strictness.js';

/** Who, for what, and the rules in play. Everything is passed in: evaluation does no I/O. */
export interface EvaluationInput {
  userId: string;
  /** The person's group names. */
  groups: readonly string[];
  /** The OIDC client asking, or null (validation API, reports across applications). */
  clientId: string | null;
  policies: readonly Policy[];
  exceptions: readonly PolicyException[];
  now: number;
  /** Values for rules no enabled default policy sets (the configuration's). */
  baseline: Requirement;
}

/** Where a rule's value came from. */
export type Source =
  | { kind: 'built-in' }
  | { kind: 'policy'; id: string; name: string }
  | { kind: 'exception'; id: string };

/** How one rule was decided. */
export interface FieldDecision {
  value: unknown;
  /** `strictest`: the strictest of every applicable value; `override`: a policy marked override; `exception`: waived. */
  reason: 'baseline' | 'strictest' | 'override' | 'exception';
  /** The sources whose value is the one in force. */
  from: Source[];
  /** What was waived, when an exception decided it. */
  waived?: unknown;
}

/** A policy that applied, and why. */
export interface AppliedPolicy {
  id: string;
  name: string;
  targetKind: Policy['targetKind'];
  target: string | null;
  why: string;
  override: boolean;
  priority: number;
  sets: RuleField[];
  decided: RuleField[];
}

/** An exception considered: applied, or why not. */
export interface ConsideredException {
  id: string;
  applied: boolean;
  why: string;
  waives: Rules;
  expiresAt: number;
}

/** The outcome: the requirement in force and the complete reasoning behind it. */
export interface Evaluation {
  requirement: Requirement;
  policies: AppliedPolicy[];
  exceptions: ConsideredException[];
  fields: Record<RuleField, FieldDecision>;
  /** Ids of the exceptions that changed the requirement (each use is audited by the caller). */
  usedExceptions: string[];
}

const lower = (s: string) => s.toLowerCase();

/** Why a policy applies to this person and application; undefined when it does not. */
function appliesBecause(p: Policy, groups: ReadonlySet<string>, clientId: string | null): string | undefined {
  if (!p.enabled) return undefined;
  if (p.targetKind === 'default') return 'default policy (applies to everyone)';
  if (p.targetKind === 'group' && p.target && groups.has(lower(p.target)))
    return `member of group ${p.target}`;
  if (p.targetKind === 'client' && p.target !== null && p.target === clientId)
    return `signing in to client ${p.target}`;
  return undefined;
}

/** Why an exception does (or does not) apply at `now`. */
function exceptionStatus(e: PolicyException, input: EvaluationInput, groups: ReadonlySet<string>) {
  const forWhom =
    e.userId !== null ? e.userId === input.userId : e.groupName !== null && groups.has(lower(e.groupName));
  if (!forWhom) return undefined;
  const whom = e.userId !== null ? 'granted to this person' : `granted to group ${e.groupName}`;
  if (e.revokedAt !== null) return { applied: false, why: `${whom}; revoked` };
  // Expiry is decided here, at evaluation time: an expired exception never grants, swept or not.
  if (input.now >= e.expiresAt) return { applied: false, why: `${whom}; expired` };
  if (input.now < e.startsAt) return { applied: false, why: `${whom}; not started yet` };
  return { applied: true, why: whom };
}

const policySource = (p: Policy): Source => ({ kind: 'policy', id: p.id, name: p.name });

/** Decides one rule from the applicable policies (exceptions come after). */
function decideField<K extends RuleField>(field: K, applicable: readonly Policy[], baseline: Requirement) {
  const setting = applicable.filter((p) => p.rules[field] !== undefined);
  const value = (p: Policy) => p.rules[field] as Requirement[K];
  const overrides = setting.filter((p) => p.override);
  if (overrides.length > 0) {
    // Override: the highest priority wins outright; among equals, the strictest of them.
    const top = Math.max(...overrides.map((p) => p.priority));
    const winners = overrides.filter((p) => p.priority === top);
    const v = combine(field, STRICTER, winners.map(value))!;
    const from = winners.filter((p) => sameValue(value(p), v));
    return {
      value: v,
      decision: {
        value: v,
        reason: 'override',
        from: (from.length ? from : winners).map(policySource),
      } as FieldDecision,
      deciders: from.length ? from : winners,
    };
  }
  const defaults = setting.filter((p) => p.targetKind === 'default');
  const targeted = setting.filter((p) => p.targetKind !== 'default');
  // The default policy (or the built-in baseline) is the floor the targeted policies combine with.
  const base: Array<{ v: Requirement[K]; src: Source; p?: Policy }> =
    defaults.length > 0
      ? defaults.map((p) => ({ v: value(p), src: policySource(p), p }))
      : [{ v: baseline[field], src: { kind: 'built-in' } }];
  const all = [...base, ...targeted.map((p) => ({ v: value(p), src: policySource(p), p }))];
  const v = combine(
    field,
    STRICTER,
    all.map((a) => a.v),
  )!;
  const matching = all.filter((a) => sameValue(a.v, v));
  const from = matching.length > 0 ? matching : all;
  const reason: FieldDecision['reason'] = setting.length === 0 ? 'baseline' : 'strictest';
  return {
    value: v,
    decision: { value: v, reason, from: from.map((a) => a.src) } as FieldDecision,
    deciders: from.flatMap((a) => (a.p ? [a.p] : [])),
  };
}

/**
 * The requirement for one person and application. Per rule: the strictest value among the
 * default policy (or built-in baseline) and every group and client policy that applies, unless
 * a policy marked `override` sets it (then the highest-priority override wins). Active
 * exceptions then waive the rules they name (the most lenient waiver wins). Pure.
 */
export function evaluate(input: EvaluationInput): Evaluation {
  const groups = new Set(input.groups.map(lower));
  const applied: AppliedPolicy[] = [];
  const applicable: Policy[] = [];
  for (const p of input.policies) {
    const why = appliesBecause(p, groups, input.clientId);
    if (!why) continue;
    applicable.push(p);
    applied.push({
      id: p.id,
      name: p.name,
      targetKind: p.targetKind,
      target: p.target,
      why,
      override: p.override,
      priority: p.priority,
      sets: RULE_FIELDS.filter((f) => p.rules[f] !== undefined),
      decided: [],
    });
  }
  const requirement = {} as Record<RuleField, unknown>;
  const fields = {} as Record<RuleField, FieldDecision>;
  for (const field of RULE_FIELDS) {
    const d = decideField(field, applicable, input.baseline);
    requirement[field] = d.value;
    fields[field] = d.decision;
    for (const p of d.deciders) applied.find((a) => a.id === p.id)?.decided.push(field);
  }

  const exceptions: ConsideredException[] = [];
  const active: PolicyException[] = [];
  for (const e of input.exceptions) {
    const status = exceptionStatus(e, input, groups);
    if (!status) continue;
    exceptions.push({ id: e.id, ...status, waives: e.waives, expiresAt: e.expiresAt });
    if (status.applied) active.push(e);
  }
  const used = new Set<string>();
  for (const field of RULE_FIELDS) {
    const waiving = active.filter((e) => e.waives[field] !== undefined);
    if (waiving.length === 0) continue;
    const v = combine(
      field,
      LENIENT,
      waiving.map((e) => e.waives[field] as Requirement[typeof field]),
    );
    const from = waiving.filter((e) => sameValue(e.waives[field], v));
    for (const e of from) used.add(e.id);
    fields[field] = {
      value: v,
      reason: 'exception',
      from: from.map((e) => ({ kind: 'exception', id: e.id })),
      waived: requirement[field],
    };
    requirement[field] = v;
  }
  return {
    requirement: requirement as Requirement,
    policies: applied,
    exceptions,
    fields,
    usedExceptions: [...used],
  };
}
