import { z } from 'zod';
import { AppError } from '../shared/errors.js';
import type { AuthenticatorKind, AuthenticatorState, AuthenticatorType } from './authenticator-type.js';
import { accessPassType } from './types/access-pass.js';
import { hotpType } from './types/hotp.js';
import { recoveryCodesType } from './types/recovery-codes.js';
import { totpType } from './types/totp.js';
import { webauthnType } from './types/webauthn.js';

/** How issuing a type behaves beyond its own material. */
export interface IssuePolicy {
  /**
   * OTP types and passes start `pending` (staged activation: active at first use). Recovery
   * codes start `active`: there is nothing to prove by a first use, and a set that is pending
   * until its first code is spent would look unusable in every report.
   */
  initialState: Extract<AuthenticatorState, 'pending' | 'active'>;
  /** A person holds one live set at a time: issuing a new one revokes the previous ("replaced"). */
  replacesPrevious: boolean;
  /** Enrolled by a ceremony in the browser (passkeys): the admin API cannot issue it. */
  byCeremony?: boolean;
}

interface Registration {
  type: AuthenticatorType;
  policy: IssuePolicy;
}

const REGISTRATIONS: readonly Registration[] = [
  { type: totpType, policy: { initialState: 'pending', replacesPrevious: false } },
  { type: hotpType, policy: { initialState: 'pending', replacesPrevious: false } },
  { type: recoveryCodesType, policy: { initialState: 'active', replacesPrevious: true } },
  { type: accessPassType, policy: { initialState: 'pending', replacesPrevious: true } },
  // Registered in the browser (src/webauthn): active from its verified ceremony, never issued here.
  { type: webauthnType, policy: { initialState: 'active', replacesPrevious: false, byCeremony: true } },
];

const BY_KIND: ReadonlyMap<string, Registration> = new Map(REGISTRATIONS.map((r) => [r.type.kind, r]));

function registration(kind: string): Registration {
  const found = BY_KIND.get(kind);
  if (!found) {
    const known = REGISTRATIONS.map((r) => r.type.kind).join(', ');
    throw new AppError('VALIDATION_FAILED', `unknown authenticator type "${kind}"; one of: ${known}`);
  }
  return found;
}

/** The type module for a kind; VALIDATION_FAILED when no such type can be issued. */
export function getType(kind: string): AuthenticatorType {
  return registration(kind).type;
}

/** Every known type (the admin API issues those not enrolled by a ceremony). */
export function listTypes(): AuthenticatorType[] {
  return REGISTRATIONS.map((r) => r.type);
}

/** How issuing `kind` behaves (initial state, replacement). */
export function issuePolicy(kind: AuthenticatorKind): IssuePolicy {
  return registration(kind).policy;
}

const typeField = z.object({ type: z.string().min(1).max(32) });
const nameField = z.object({ name: z.string().optional() });

/** An issue request, validated against its type's strict options. */
export interface IssueRequest {
  type: AuthenticatorType;
  options: unknown;
  name: string | null;
}

/** Picks the type named by `body.type` and validates the whole body with that type's options. */
export function parseIssueRequest(body: unknown): IssueRequest {
  const type = getType(typeField.parse(body).type);
  if (registration(type.kind).policy.byCeremony) {
    throw new AppError('VALIDATION_FAILED', `type "${type.kind}" is registered by its owner in the browser`);
  }
  const options = type.options.parse(body);
  return { type, options, name: nameField.parse(options).name ?? null };
}
