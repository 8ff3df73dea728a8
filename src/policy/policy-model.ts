import { z } from 'zod';
import { AUTHENTICATOR_KINDS } from '../authenticators/authenticator-type.js';

/**
 * Policy as data: the rules a policy may set, the targets it applies to, and exceptions that
 * waive some rules for a while. Every input is checked here (zod), before any service sees it.
 */

export const RECOVERY_PATHS = ['recovery_code', 'helpdesk', 'access_pass'] as const;
export type RecoveryPath = (typeof RECOVERY_PATHS)[number];
export const TARGET_KINDS = ['group', 'client', 'default'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

const kinds = z.array(z.enum(AUTHENTICATOR_KINDS)).min(1).max(AUTHENTICATOR_KINDS.length);
const days = z.array(z.number().int().min(0).max(365)).max(10);

/** Every rule a policy may set; a policy sets only those it has an opinion on. */
export const rulesSchema = z.strictObject({
  aal: z.union([z.literal(1), z.literal(2), z.literal(3)]).optional(),
  /** Authenticator types that count as the second factor. */
  allowedTypes: kinds.optional(),
  /** Only phishing-resistant authenticators (passkeys) count. */
  phishingResistant: z.boolean().optional(),
  /** Days from joining (or a new requirement) to enrol before sign-in is refused. */
  graceDays: z.number().int().min(0).max(365).optional(),
  /** Days before the enrolment deadline on which reminders go out. */
  reminderDays: days.optional(),
  /** Hours a sign-in lasts before re-authentication (capped by NIST in the SSO face). */
  reauthHours: z.number().int().min(1).max(24).optional(),
  recoveryPaths: z.array(z.enum(RECOVERY_PATHS)).max(RECOVERY_PATHS.length).optional(),
  accessPassMinutes: z
    .number()
    .int()
    .min(5)
    .max(24 * 60)
    .optional(),
  /** Who hands a Temporary Access Pass over: the agent, or the person's manager. */
  accessPassDelivery: z.enum(['agent', 'manager']).optional(),
  /** The longest exception an approver may grant against this policy. */
  maxExceptionDays: z.number().int().min(1).max(365).optional(),
});
export type Rules = z.infer<typeof rulesSchema>;
export type RuleField = keyof Rules;
export const RULE_FIELDS = Object.keys(rulesSchema.shape) as RuleField[];

/** The requirement in force for one person and application: every rule has a value. */
export type Requirement = Required<Rules>;

/** A policy as the API takes it (POST and PUT). */
export const policyInputSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    targetKind: z.enum(TARGET_KINDS),
    target: z.string().trim().min(1).max(200).nullable().default(null),
    rules: rulesSchema,
    priority: z.number().int().min(-1000).max(1000).default(0),
    override: z.boolean().default(false),
    enabled: z.boolean().default(true),
  })
  .refine((p) => (p.targetKind === 'default') === (p.target === null), {
    message: 'target is required for a group or client policy and must be null for the default policy',
    path: ['target'],
  });
export type PolicyInput = z.infer<typeof policyInputSchema>;

/** A policy as the evaluator sees it (and the API shows it). */
export interface Policy extends PolicyInput {
  id: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** What an exception may waive: any rule but the exception limit itself. */
export const waivesSchema = rulesSchema
  .omit({ maxExceptionDays: true })
  .refine((w) => Object.keys(w).length > 0, { message: 'waives must name at least one rule' });
export type Waives = z.infer<typeof waivesSchema>;

/** An exception as the API takes it: for one person or one group, with a mandatory expiry. */
export const exceptionInputSchema = z
  .strictObject({
    userId: z.string().min(1).max(64).optional(),
    groupName: z.string().trim().min(1).max(200).optional(),
    waives: waivesSchema,
    owner: z.string().trim().min(1).max(200),
    reason: z.string().trim().min(1).max(1000),
    ticket: z.string().trim().min(1).max(100).optional(),
    startsAt: z.iso.datetime({ offset: true }).optional(),
    expiresAt: z.iso.datetime({ offset: true }),
  })
  .refine((e) => (e.userId === undefined) !== (e.groupName === undefined), {
    message: 'name exactly one of userId and groupName',
    path: ['userId'],
  });
export type ExceptionInput = z.infer<typeof exceptionInputSchema>;

/** An exception as the evaluator sees it. */
export interface PolicyException {
  id: string;
  userId: string | null;
  groupName: string | null;
  /** The rules waived (never `maxExceptionDays`: the schema refuses it). */
  waives: Rules;
  owner: string;
  startsAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

/** Second-factor types (recovery material is governed by `recoveryPaths`, not `allowedTypes`). */
export const SECOND_FACTOR_TYPES = ['totp', 'hotp', 'webauthn'] as const;

/**
 * The built-in baseline: what applies where no enabled default policy sets a rule. The grace
 * period and the pass lifetime come from the configuration, so an installation without policies
 * behaves as before. `aal: 2` is the floor every sign-in needs (a second factor for everyone): it is
 * policy data like any other rule, shown by explain, and only an exception lowers it for a person.
 */
export function builtInRules(config: {
  enrolmentGraceDays: number;
  accessPassMinutes?: number;
}): Requirement {
  return {
    aal: 2,
    allowedTypes: [...SECOND_FACTOR_TYPES],
    phishingResistant: false,
    graceDays: config.enrolmentGraceDays,
    reminderDays: [7, 3, 1],
    reauthHours: 24,
    recoveryPaths: [...RECOVERY_PATHS],
    accessPassMinutes: config.accessPassMinutes ?? 60,
    accessPassDelivery: 'agent',
    maxExceptionDays: 30,
  };
}
