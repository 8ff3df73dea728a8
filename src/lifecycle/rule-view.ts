import type { LifecycleRuleRow } from '../store/schema.js';
import { LEGACY_TIMING_KEYS, type Rule, type RuleAction, ruleActionSchema } from './rule.js';

/** A rule as the API shows it; `action` is null (and the rule inert) when the stored JSON is not a valid action. */
export interface RuleView extends Omit<Rule, 'action'> {
  action: RuleAction | null;
  createdAt: string;
  updatedAt: string;
}

function parseAction(text: string): RuleAction | undefined {
  try {
    const stored = JSON.parse(text) as Record<string, unknown>;
    // Timing stored before policy became its one source is ignored, not an error.
    for (const k of LEGACY_TIMING_KEYS) delete stored[k];
    const parsed = ruleActionSchema.safeParse(stored);
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A stored rule as the evaluator reads it, or undefined when its action does not parse (a rule
 * written by hand into the table): such a rule is skipped, never half-applied.
 */
export function toRule(row: LifecycleRuleRow): Rule | undefined {
  const action = parseAction(row.action);
  if (!action) return undefined;
  return {
    id: row.id,
    name: row.name,
    trigger: row.trigger,
    groupName: row.group_name,
    action,
    enabled: row.enabled === 1,
  };
}

/** Shapes a row for the API. */
export function toRuleView(row: LifecycleRuleRow): RuleView {
  const action = parseAction(row.action) ?? null;
  return {
    id: row.id,
    name: row.name,
    trigger: row.trigger,
    groupName: row.group_name,
    action,
    enabled: row.enabled === 1 && action !== null,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
