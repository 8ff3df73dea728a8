import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import type { Evaluation } from '../policy/evaluate.js';
import type { RecoveryPath } from '../policy/policy-model.js';
import type { PolicyService } from '../policy/policy-service.js';
import { AppError } from '../shared/errors.js';
import type { Db } from '../store/open-store.js';
import { groupsRepo } from '../store/repos/groups.js';

/** What policy says about recovering one person. */
export interface RecoveryPolicy {
  /** A member of a privileged group: a second person must approve. */
  privileged: boolean;
  /** Non-privileged people are approved when the agent opens the request (audited as such). */
  approveUnprivilegedAtOpen: boolean;
  /** Who receives the pass: the approving agent (once, in the answer) or the person's manager (mail). */
  passDelivery: 'agent' | 'manager';
  /** The pass's lifetime. */
  passMinutes: number;
  /** The recovery paths the person's policy allows (absent: every path, for hand-built sources). */
  paths?: readonly RecoveryPath[];
  /** The evaluation behind it, for the audit trail of a decision. */
  evaluation?: Evaluation;
}

/** Where the recovery service asks for a person's recovery policy (inside its transaction). */
export type RecoveryPolicySource = (db: Db, userId: string) => Promise<RecoveryPolicy>;

/**
 * The recovery policy for a person, from the one policy evaluator (no application: recovery is
 * of the person): the allowed paths (`recoveryPaths`), the pass lifetime (`accessPassMinutes`)
 * and who hands it over (`accessPassDelivery`). Privileged (four eyes) means a member of a group
 * named in PORTCULLIS_PRIVILEGED_GROUPS (default "admins").
 */
export async function recoveryPolicyFor(
  ctx: Context,
  policy: PolicyService,
  db: Db,
  userId: string,
): Promise<RecoveryPolicy> {
  const privileged = new Set(ctx.config.privilegedGroups.map((g) => g.toLowerCase()));
  const groups = await groupsRepo.namesOf(db, userId);
  const evaluation = await policy.evaluateIn(db, userId, null);
  const req = evaluation.requirement;
  return {
    privileged: groups.some((g) => privileged.has(g.toLowerCase())),
    approveUnprivilegedAtOpen: true,
    passDelivery: req.accessPassDelivery,
    passMinutes: req.accessPassMinutes,
    paths: req.recoveryPaths,
    evaluation,
  };
}

/** The inputs of a recovery decision as the audit trail keeps them: the rules and where they came from. */
export function recoveryInputs(p: RecoveryPolicy): Record<string, unknown> {
  const f = p.evaluation?.fields;
  return {
    recoveryPaths: p.paths ?? null,
    accessPassMinutes: p.passMinutes,
    accessPassDelivery: p.passDelivery,
    ...(f
      ? {
          decidedBy: {
            recoveryPaths: f.recoveryPaths.from,
            accessPassMinutes: f.accessPassMinutes.from,
            accessPassDelivery: f.accessPassDelivery.from,
          },
          policies: p.evaluation!.policies.map((x) => x.name),
          exceptions: p.evaluation!.usedExceptions,
        }
      : {}),
  };
}

/** Whether the policy allows a recovery path. */
export function pathAllowed(p: RecoveryPolicy, path: RecoveryPath): boolean {
  return p.paths === undefined || p.paths.includes(path);
}

/** The refusal of a path the person's policy does not allow (403, POLICY_FORBIDS). */
export function pathRefused(
  path: RecoveryPath,
  p: RecoveryPolicy,
  message = `the policy for this person does not allow recovery through ${path}`,
): AppError {
  return new AppError('POLICY_FORBIDS', message, {
    reason: 'recovery_path_not_allowed',
    path,
    allowed: p.paths ?? [],
  });
}

/**
 * Audits, in its own transaction, a recovery attempt the policy refused (outcome denied, with the
 * inputs that decided it); the caller then throws `pathRefused`. Nothing else is written.
 */
export async function auditPathRefused(
  ctx: Context,
  actor: Actor,
  userId: string,
  path: RecoveryPath,
  p: RecoveryPolicy,
  extra: Record<string, unknown> = {},
): Promise<void> {
  await ctx.store.transaction((trx) =>
    ctx.audit.append(trx, actor, {
      action: 'recovery.path_refused',
      subject: userId,
      outcome: 'denied',
      details: { path, ...extra, ...recoveryInputs(p) },
    }),
  );
}
