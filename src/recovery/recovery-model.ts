import { z } from 'zod';
import type { RecoveryRequestRow } from '../store/schema.js';
import type { Role } from '../tokens/roles.js';

/** How the help desk established that the caller is the person (recorded as evidence, never a secret). */
export const PROOFING_METHODS = ['video_call', 'in_person', 'manager_vouch', 'id_document'] as const;

/** A recovery request's states; `expired` is an open request whose decision deadline passed. */
export type RecoveryState = RecoveryRequestRow['state'];

/** Hours an open request waits for a decision before it expires. */
export const DECISION_HOURS = 24;

/** The body of `POST /api/v1/recovery-requests`. */
export const openRequestSchema = z.strictObject({
  userId: z.string().min(1).max(64),
  proofingMethod: z.enum(PROOFING_METHODS),
  /** e.g. the ticket or the document's last digits: what lets an auditor retrace the check. */
  proofingReference: z.string().trim().min(1).max(200).optional(),
  notes: z.string().trim().min(1).max(2000).optional(),
  /** Revoke every factor the person has when the request is approved (lost or compromised device). */
  revokeOld: z.boolean().default(true),
});
export type OpenRequest = z.infer<typeof openRequestSchema>;

/** Who acts on a request: an API token's principal (its name stands for the person behind it). */
export interface Agent {
  /** The audit label, `token:name(role)`. */
  label: string;
  name: string;
  role: Role;
  sourceIp?: string | null;
}

/** Why a move is refused: a stable code and the reason that is audited. */
export interface Refusal {
  code: 'RECOVERY_SELF_APPROVAL' | 'FORBIDDEN' | 'INVALID_STATE';
  reason: 'self_approval' | 'not_approver' | 'not_requester' | 'expired' | 'already_decided';
  message: string;
}

/** The state as of `now`: an open request past its deadline reads as expired. */
export function effectiveState(
  row: Pick<RecoveryRequestRow, 'state' | 'expires_at'>,
  now: number,
): RecoveryState {
  return row.state === 'open' && row.expires_at <= now ? 'expired' : row.state;
}

/** Whether a request is still waiting for a decision at `now` (or why not). */
function undecided(row: RecoveryRequestRow, now: number): Refusal | null {
  const state = effectiveState(row, now);
  if (state === 'expired')
    return { code: 'INVALID_STATE', reason: 'expired', message: 'the request has expired' };
  if (state !== 'open')
    return { code: 'INVALID_STATE', reason: 'already_decided', message: `the request is already ${state}` };
  return null;
}

/**
 * Four eyes: only a holder of the approver role decides, never the agent who opened the request
 * (compared by token name, so one person's second token of another role does not pass).
 */
export function refuseApproval(row: RecoveryRequestRow, approver: Agent, now: number): Refusal | null {
  if (approver.role !== 'approver')
    return {
      code: 'FORBIDDEN',
      reason: 'not_approver',
      message: 'only an approver may decide a recovery request',
    };
  if (approver.name === row.requester_name)
    return {
      code: 'RECOVERY_SELF_APPROVAL',
      reason: 'self_approval',
      message: 'the agent who opened a recovery request cannot approve it',
    };
  return undecided(row, now);
}

/** Rejecting needs the approver role and an undecided request (anyone but the requester: four eyes too). */
export function refuseRejection(row: RecoveryRequestRow, approver: Agent, now: number): Refusal | null {
  return refuseApproval(row, approver, now);
}

/** Cancelling: the agent who opened it, or an admin, while it is undecided. */
export function refuseCancel(row: RecoveryRequestRow, agent: Agent, now: number): Refusal | null {
  if (agent.role !== 'admin' && agent.name !== row.requester_name)
    return {
      code: 'FORBIDDEN',
      reason: 'not_requester',
      message: 'only the agent who opened the request, or an admin, may cancel it',
    };
  return undecided(row, now);
}

/** Whether a request needs a second person: privileged people always; others only when policy says so. */
export function needsSecondApprover(privileged: boolean, approveUnprivilegedAtOpen: boolean): boolean {
  return privileged || !approveUnprivilegedAtOpen;
}

/** What the API shows of a request (evidence and decision; never a pass). */
export interface RecoveryRequestView {
  id: string;
  userId: string;
  requestedBy: string;
  proofingMethod: string;
  proofingReference: string | null;
  notes: string | null;
  privileged: boolean;
  state: RecoveryState;
  approvedBy: string | null;
  approvedAt: string | null;
  decidedReason: string | null;
  expiresAt: string;
  passAuthenticatorId: string | null;
  passDelivery: 'agent' | 'manager' | null;
  revokeOld: boolean;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Shapes a row for the API, with its state as of `now`. */
export function toRecoveryView(row: RecoveryRequestRow, now: number): RecoveryRequestView {
  return {
    id: row.id,
    userId: row.user_id,
    requestedBy: row.requested_by,
    proofingMethod: row.proofing_method,
    proofingReference: row.proofing_reference,
    notes: row.notes,
    privileged: row.privileged === 1,
    state: effectiveState(row, now),
    approvedBy: row.approved_by,
    approvedAt: iso(row.approved_at),
    decidedReason: row.decided_reason,
    expiresAt: iso(row.expires_at)!,
    passAuthenticatorId: row.pass_authenticator_id,
    passDelivery: row.pass_delivery,
    revokeOld: row.revoke_old === 1,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
    completedAt: iso(row.completed_at),
  };
}
