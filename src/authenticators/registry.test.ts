import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { isAppError } from '../shared/errors.js';
import { getType, issuePolicy, listTypes, parseIssueRequest } from './registry.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ZodError) return 'ZOD';
    return isAppError(err) ? err.code : 'other';
  }
  return undefined;
}

describe('authenticator registry', () => {
  it('lists the types the admin API issues', () => {
    expect(listTypes().map((t) => t.kind)).toEqual([
      'totp',
      'hotp',
      'recovery_codes',
      'access_pass',
      'webauthn',
    ]);
    for (const t of listTypes()) expect(getType(t.kind)).toBe(t);
  });

  it('refuses an unknown type, and webauthn (enrolled in the browser), with VALIDATION_FAILED', () => {
    expect(codeOf(() => getType('sms'))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => parseIssueRequest({ type: 'webauthn' }))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => parseIssueRequest({ type: 'sms' }))).toBe('VALIDATION_FAILED');
  });

  it('validates the whole body with the type options, strictly', () => {
    expect(codeOf(() => parseIssueRequest({}))).toBe('ZOD');
    expect(codeOf(() => parseIssueRequest(null))).toBe('ZOD');
    expect(codeOf(() => parseIssueRequest({ type: 'totp', extra: 1 }))).toBe('ZOD');
    const request = parseIssueRequest({ type: 'hotp', counter: 3, name: '  Key fob ' });
    expect(request.type.kind).toBe('hotp');
    expect(request.name).toBe('Key fob');
    expect(parseIssueRequest({ type: 'totp' }).name).toBeNull();
  });

  it('recovery codes start active; the rest start pending; sets and passes replace the previous', () => {
    expect(issuePolicy('totp')).toEqual({ initialState: 'pending', replacesPrevious: false });
    expect(issuePolicy('hotp')).toEqual({ initialState: 'pending', replacesPrevious: false });
    expect(issuePolicy('recovery_codes')).toEqual({ initialState: 'active', replacesPrevious: true });
    expect(issuePolicy('access_pass')).toEqual({ initialState: 'pending', replacesPrevious: true });
    expect(issuePolicy('webauthn')).toMatchObject({ initialState: 'active', byCeremony: true });
  });
});
