import type { Context } from '../context.js';
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
}

/** Where the recovery service asks for a person's recovery policy (inside its transaction). */
export type RecoveryPolicySource = (db: Db, userId: string) => Promise<RecoveryPolicy>;

/** Until policy says otherwise, the pass is handed over by the approving agent. */
export const DEFAULT_PASS_DELIVERY = 'agent' as const;

/**
 * The recovery policy for a person. HOOK: until the policy engine is wired in, privileged means
 * a member of a group named in PORTCULLIS_PRIVILEGED_GROUPS (default "admins"), passes last
 * PORTCULLIS_ACCESS_PASS_MINUTES and go to the agent. The policy engineer replaces this source
 * in the composition root (services.ts) with one backed by services.policy
 * (`accessPassDelivery`, `accessPassMinutes`, `recoveryPaths`).
 */
export async function recoveryPolicyFor(ctx: Context, db: Db, userId: string): Promise<RecoveryPolicy> {
  const privileged = new Set(ctx.config.privilegedGroups.map((g) => g.toLowerCase()));
  const groups = await groupsRepo.namesOf(db, userId);
  return {
    privileged: groups.some((g) => privileged.has(g.toLowerCase())),
    approveUnprivilegedAtOpen: true,
    passDelivery: DEFAULT_PASS_DELIVERY,
    passMinutes: ctx.config.accessPassMinutes,
  };
}
