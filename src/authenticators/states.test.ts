import { describe, expect, it } from 'vitest';
import { AUTHENTICATOR_STATES } from './authenticator-type.js';
import { canTransition, isUsable, nextState } from './states.js';

describe('authenticator state machine', () => {
  it('allows exactly the documented moves', () => {
    const allowed = AUTHENTICATOR_STATES.flatMap((from) =>
      AUTHENTICATOR_STATES.filter((to) => canTransition(from, to)).map((to) => `${from}->${to}`),
    );
    expect(allowed.sort()).toEqual(
      [
        'pending->active',
        'pending->suspended',
        'pending->lost',
        'pending->revoked',
        'active->suspended',
        'active->lost',
        'active->revoked',
        'suspended->pending',
        'suspended->active',
        'suspended->lost',
        'suspended->revoked',
        'lost->revoked',
      ].sort(),
    );
  });

  it('never leaves revoked, and staying put is not a move', () => {
    for (const to of AUTHENTICATOR_STATES) expect(canTransition('revoked', to)).toBe(false);
    for (const s of AUTHENTICATOR_STATES) expect(canTransition(s, s)).toBe(false);
  });

  it('revokes from every state but revoked', () => {
    expect(nextState('pending', 'revoke', false)).toBe('revoked');
    expect(nextState('active', 'revoke', true)).toBe('revoked');
    expect(nextState('suspended', 'revoke', true)).toBe('revoked');
    expect(nextState('lost', 'revoke', true)).toBe('revoked');
    expect(nextState('revoked', 'revoke', true)).toBeUndefined();
  });

  it('a lost authenticator can be neither suspended nor reactivated', () => {
    expect(nextState('lost', 'suspend', true)).toBeUndefined();
    expect(nextState('lost', 'reactivate', true)).toBeUndefined();
    expect(nextState('lost', 'markLost', true)).toBeUndefined();
  });

  it('reactivation returns a suspended authenticator to active, or to pending when never used', () => {
    expect(nextState('suspended', 'reactivate', true)).toBe('active');
    expect(nextState('suspended', 'reactivate', false)).toBe('pending');
  });

  it('reactivation starts only from suspended', () => {
    expect(nextState('active', 'reactivate', true)).toBeUndefined();
    expect(nextState('pending', 'reactivate', false)).toBeUndefined();
  });

  it('suspends and marks lost from pending and active', () => {
    expect(nextState('pending', 'suspend', false)).toBe('suspended');
    expect(nextState('active', 'suspend', true)).toBe('suspended');
    expect(nextState('suspended', 'suspend', true)).toBeUndefined();
    expect(nextState('active', 'markLost', true)).toBe('lost');
    expect(nextState('suspended', 'markLost', true)).toBe('lost');
  });

  it('activation happens only from pending', () => {
    expect(nextState('pending', 'activate', false)).toBe('active');
    expect(nextState('suspended', 'activate', true)).toBeUndefined();
    expect(nextState('active', 'activate', true)).toBeUndefined();
    expect(nextState('lost', 'activate', true)).toBeUndefined();
    expect(nextState('revoked', 'activate', true)).toBeUndefined();
  });

  it('only pending and active authenticators are usable', () => {
    expect(AUTHENTICATOR_STATES.filter(isUsable)).toEqual(['pending', 'active']);
  });
});
