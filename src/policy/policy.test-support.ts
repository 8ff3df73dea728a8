import type { Policy, Rules } from './policy-model.js';

/** A stored policy as the evaluators get it: enabled, priority 0, no override, unless `extra` says otherwise. */
export function testPolicy(
  name: string,
  kind: Policy['targetKind'],
  target: string | null,
  rules: Rules,
  extra: Partial<Policy> = {},
): Policy {
  return {
    id: `p-${name}`,
    name,
    targetKind: kind,
    target,
    rules,
    priority: 0,
    override: false,
    enabled: true,
    version: 1,
    createdAt: '',
    updatedAt: '',
    ...extra,
  };
}
