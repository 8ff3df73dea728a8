import { z } from 'zod';

/** What a lifecycle rule reacts to. */
export const RULE_TRIGGERS = ['joiner', 'mover', 'leaver'] as const;
export type RuleTrigger = (typeof RULE_TRIGGERS)[number];

/** Factor types a requirement may ask for (recovery codes and passes are never a requirement). */
export const REQUIRABLE_TYPES = ['totp', 'hotp', 'webauthn'] as const;
export type RequirableType = (typeof REQUIRABLE_TYPES)[number];

const POLICY_TIMING =
  'the enrolment grace period and reminders are set by policy (graceDays, reminderDays in /api/v1/policies), not by lifecycle rules';

/** Timing keys rules carried before policy became their one source: ignored when read from storage. */
export const LEGACY_TIMING_KEYS = ['graceDays', 'reminders'] as const;

/**
 * What a rule does, as data (the `action` JSON of `lifecycle_rules`). Either or both of:
 * - an enrolment requirement: `require` (the types that satisfy it), `phishingResistant`
 *   (only a phishing-resistant factor counts), `escalateAfterDays` (day the manager is told;
 *   null: never). When it is due and when reminders go out is the person's policy
 *   (`graceDays`, `reminderDays`): one source, asked when the requirement opens;
 * - `bindHardwareToken`: bind the first unassigned inventory token (of `tokenType` when given),
 *   pending until its first code;
 * - `passToManagerDaysBefore` (joiners with a known start date and a manager): instead of the
 *   invitation, a Temporary Access Pass mailed to the manager that many days before the start
 *   date, usable from the start date only; its lifetime and whether passes are allowed at all
 *   are the person's policy (`accessPassMinutes`, `recoveryPaths`). N is the joiner process's
 *   (when the manager needs it in hand), not an assurance rule, so the rule carries it.
 */
export const ruleActionSchema = z
  .strictObject({
    require: z.array(z.enum(REQUIRABLE_TYPES)).min(1).max(3).optional(),
    phishingResistant: z.boolean().default(false),
    graceDays: z.never({ error: POLICY_TIMING }).optional(),
    reminders: z.never({ error: POLICY_TIMING }).optional(),
    escalateAfterDays: z.number().int().min(1).max(365).nullable().default(null),
    bindHardwareToken: z.boolean().default(false),
    tokenType: z.enum(['totp', 'hotp']).optional(),
    passToManagerDaysBefore: z.number().int().min(0).max(60).optional(),
  })
  .refine((a) => a.require !== undefined || a.bindHardwareToken, {
    message: 'an action must require an enrolment ("require") or bind a hardware token',
  })
  .refine((a) => a.passToManagerDaysBefore === undefined || a.require !== undefined, {
    message: 'a pass to the manager leads into enrolment: the action must also "require" one',
    path: ['passToManagerDaysBefore'],
  })
  .refine((a) => !a.phishingResistant || a.require?.includes('webauthn'), {
    message: 'a phishing-resistant requirement must accept "webauthn" (no other type is)',
    path: ['require'],
  });
export type RuleAction = z.output<typeof ruleActionSchema>;

/** A rule as the evaluator reads it. */
export interface Rule {
  id: string;
  name: string;
  trigger: RuleTrigger;
  /** A group name, `*` wildcards allowed, case-insensitive; null: everyone. */
  groupName: string | null;
  action: RuleAction;
  enabled: boolean;
}

/** A rule as an admin posts it. */
export const newRuleSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  // The leaver's actions are fixed (SECURITY.md: everything ends), so no rule may add to them.
  trigger: z.enum(['joiner', 'mover'], {
    error: 'trigger must be "joiner" or "mover" (the leaver always revokes everything; it takes no rules)',
  }),
  groupName: z.string().trim().min(1).max(200).nullable().default(null),
  action: ruleActionSchema,
  enabled: z.boolean().default(true),
});
export type NewRule = z.output<typeof newRuleSchema>;

/** What an admin may change on a rule. */
export const rulePatchSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  enabled: z.boolean().optional(),
});

/** Whether `group` matches the rule's pattern: case-insensitive, `*` matches any run of characters. */
export function groupMatches(pattern: string, group: string): boolean {
  const parts = pattern.toLowerCase().split('*');
  const escaped = parts.map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`, 's').test(group.toLowerCase());
}
