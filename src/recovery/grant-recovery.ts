import type { AuthenticatorService } from '../authenticators/authenticator-service.js';
import type { Context } from '../context.js';
import type { MailService } from '../notify/mail-service.js';
import { AppError } from '../shared/errors.js';
import type { Db } from '../store/open-store.js';
import { usersRepo } from '../store/repos/users.js';
import type { RecoveryRequestRow, UserRow } from '../store/schema.js';
import { passForManagerMail } from './pass-for-manager-mail.js';
import { type Agent, type RecoveryRequestView, toRecoveryView } from './recovery-model.js';
import { type RecoveryPolicy, recoveryInputs } from './recovery-policy.js';
import { moveRequest, notifyPerson } from './request-steps.js';

/** The pass, shown once to the approving agent when policy delivers it through them. */
export interface RevealedPass {
  authenticatorId: string;
  code: string;
  expiresAt: string;
}

/** A request, plus the pass when this answer is the one place it is ever shown. */
export type RecoveryAnswer = RecoveryRequestView & { pass: RevealedPass | null };

/** What granting needs besides the transaction. */
export interface GrantDeps {
  ctx: Context;
  authenticators: AuthenticatorService;
  mail: MailService;
}

/** One approval: who, which request, whose, under which policy, and on what basis. */
export interface Grant {
  approver: Agent;
  row: RecoveryRequestRow;
  person: UserRow;
  policy: RecoveryPolicy;
  now: number;
  basis: 'approved_at_open' | 'second_approver';
}

/**
 * Approves inside `trx`: old factors revoked when asked, a single-use pass issued through the
 * authenticator service, the decision recorded by compare-and-set, audited (never the pass),
 * the person told, and the pass delivered: shown once in this answer, or mailed to the manager.
 */
export async function grantRecovery(deps: GrantDeps, trx: Db, g: Grant): Promise<RecoveryAnswer> {
  const { ctx, authenticators, mail } = deps;
  const { approver, row, person, policy, now } = g;
  // Checked first: a pass nobody can receive is never issued.
  const manager = policy.passDelivery === 'manager' ? await managerOf(trx, person) : null;
  const revoked =
    row.revoke_old === 1
      ? await authenticators.revokeAllIn(trx, approver, person.id, `recovery ${row.id}`, [])
      : [];
  const issued = await authenticators.issueIn(trx, approver, person.id, {
    type: 'access_pass',
    minutes: policy.passMinutes,
    name: 'Recovery pass',
  });
  const pass: RevealedPass = {
    authenticatorId: issued.id,
    code: String(issued.code),
    expiresAt: String(issued.expiresAt),
  };
  const moved = await moveRequest(trx, row, 'approved', now, {
    approved_by: approver.label,
    approved_at: now,
    pass_authenticator_id: issued.id,
    pass_delivery: policy.passDelivery,
  });
  await ctx.audit.append(trx, approver, {
    action: 'recovery.approved',
    subject: person.id,
    details: {
      requestId: row.id,
      basis: g.basis,
      privileged: row.privileged === 1,
      passAuthenticatorId: issued.id,
      passExpiresAt: pass.expiresAt,
      passDelivery: policy.passDelivery,
      revoked,
      policy: recoveryInputs(policy),
    },
  });
  await notifyPerson(mail, trx, person, 'approved', row.id, now);
  const view = toRecoveryView(moved, now);
  if (!manager) return { ...view, pass };
  const handover = passForManagerMail(mail.env, {
    managerName: manager.display_name ?? manager.username,
    personName: person.display_name ?? person.username,
    code: pass.code,
    expiresAt: Date.parse(pass.expiresAt),
    reference: row.id,
  });
  await mail.queue(trx, manager.email!, handover);
  return { ...view, pass: null };
}

/** The person's manager with an address; INVALID_STATE when the pass cannot reach one. */
async function managerOf(trx: Db, person: UserRow): Promise<UserRow> {
  const manager = person.manager_id ? await usersRepo.byId(trx, person.manager_id) : undefined;
  if (!manager?.email || manager.status !== 'active')
    throw new AppError(
      'INVALID_STATE',
      'policy delivers the pass to the manager, and this person has no active manager with an e-mail address',
    );
  return manager;
}
