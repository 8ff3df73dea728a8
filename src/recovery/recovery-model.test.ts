import { describe, expect, it } from 'vitest';
import type { RecoveryRequestRow } from '../store/schema.js';
import {
  type Agent,
  effectiveState,
  needsSecondApprover,
  openRequestSchema,
  refuseApproval,
  refuseCancel,
  toRecoveryView,
} from './recovery-model.js';

const NOW = Date.UTC(2026, 10, 28, 12);
const row = (over: Partial<RecoveryRequestRow> = {}): RecoveryRequestRow => ({
  id: 'r1',
  user_id: 'u1',
  requested_by: 'token:alice(helpdesk)',
  requester_name: 'alice',
  proofing_method: 'video_call',
  proofing_reference: 'INC-1',
  notes: null,
  privileged: 1,
  state: 'open',
  approved_by: null,
  approved_at: null,
  decided_reason: null,
  expires_at: NOW + 1000,
  pass_authenticator_id: null,
  pass_delivery: null,
  revoke_old: 1,
  created_at: NOW - 1000,
  updated_at: NOW - 1000,
  completed_at: null,
  ...over,
});
const agent = (name: string, role: Agent['role']): Agent => ({ label: `token:${name}(${role})`, name, role });

describe('recovery request rules', () => {
  it('four eyes: the opener never approves, even with a token of the approver role', () => {
    expect(refuseApproval(row(), agent('alice', 'approver'), NOW)?.code).toBe('RECOVERY_SELF_APPROVAL');
    expect(refuseApproval(row(), agent('bob', 'approver'), NOW)).toBeNull();
  });

  it('only the approver role decides', () => {
    expect(refuseApproval(row(), agent('bob', 'admin'), NOW)?.code).toBe('FORBIDDEN');
  });

  it('an open request past its deadline reads as expired and cannot be decided', () => {
    expect(effectiveState(row(), NOW + 1000)).toBe('expired');
    expect(refuseApproval(row(), agent('bob', 'approver'), NOW + 1000)).toMatchObject({
      code: 'INVALID_STATE',
      reason: 'expired',
    });
    expect(toRecoveryView(row(), NOW + 5000).state).toBe('expired');
  });

  it('a decided request stays decided', () => {
    for (const state of ['approved', 'rejected', 'completed', 'cancelled'] as const) {
      expect(refuseApproval(row({ state }), agent('bob', 'approver'), NOW)).toMatchObject({
        code: 'INVALID_STATE',
        reason: 'already_decided',
      });
    }
  });

  it('cancel: the opener or an admin, while undecided', () => {
    expect(refuseCancel(row(), agent('alice', 'helpdesk'), NOW)).toBeNull();
    expect(refuseCancel(row(), agent('root', 'admin'), NOW)).toBeNull();
    expect(refuseCancel(row(), agent('carl', 'helpdesk'), NOW)?.code).toBe('FORBIDDEN');
    expect(refuseCancel(row({ state: 'approved' }), agent('alice', 'helpdesk'), NOW)?.code).toBe(
      'INVALID_STATE',
    );
  });

  it('privileged people always need a second person; others as policy says', () => {
    expect(needsSecondApprover(true, true)).toBe(true);
    expect(needsSecondApprover(false, true)).toBe(false);
    expect(needsSecondApprover(false, false)).toBe(true);
  });

  it('the request body is strict: evidence required, no secrets or passwords accepted', () => {
    expect(openRequestSchema.safeParse({ userId: 'u1' }).success).toBe(false);
    expect(openRequestSchema.safeParse({ userId: 'u1', proofingMethod: 'guess' }).success).toBe(false);
    expect(
      openRequestSchema.safeParse({ userId: 'u1', proofingMethod: 'in_person', password: 'x' }).success,
    ).toBe(false);
    expect(openRequestSchema.parse({ userId: 'u1', proofingMethod: 'in_person' }).revokeOld).toBe(true);
  });
});
