import type { z } from 'zod';
import type { AuthenticatorRow } from '../store/schema.js';

export const AUTHENTICATOR_KINDS = ['totp', 'hotp', 'recovery_codes', 'access_pass', 'webauthn'] as const;
export type AuthenticatorKind = (typeof AUTHENTICATOR_KINDS)[number];

export const AUTHENTICATOR_STATES = ['pending', 'active', 'suspended', 'lost', 'revoked'] as const;
export type AuthenticatorState = (typeof AUTHENTICATOR_STATES)[number];

/** How a type describes itself: one description drives policy, the API and the console. */
export interface TypeDescription {
  title: string;
  /** RFC 8176 `amr` values a successful use contributes. */
  amr: readonly string[];
  /** The highest NIST AAL this type can support as the second factor. */
  maxAal: 1 | 2 | 3;
  phishingResistant: boolean;
  /** Whether the validation API may accept its codes (OTP types). */
  validatable: boolean;
  /** Single-use material that may only be used to bind a new authenticator (passes) or recover. */
  recoveryOnly: boolean;
}

/** What issuing produces: the row's contents plus what the caller sees once. */
export interface Issued {
  /** Secret to seal into `secret_enc` (null when only hashes are stored). */
  secret: Buffer | null;
  params: Record<string, unknown>;
  counter: number | null;
  expiresAt: number | null;
  /** One-time codes to store hashed (recovery codes, a pass). */
  oneTimeCodes: string[];
  /** Shown in the 201 answer and never again (otpauth URI, codes, pass). */
  reveal: Record<string, unknown>;
}

export interface IssueContext {
  now: number;
  issuer: string;
  account: string;
  accessPassMinutes: number;
}

/** The outcome of checking a code against one OTP authenticator: the new counter on success. */
export type OtpCheck = { ok: true; counter: number } | { ok: false };

/**
 * One authenticator type: it describes itself, issues its material, and (for OTP types) checks
 * a code purely, with no I/O. Adding a type touches its own module and the registry only.
 */
export interface AuthenticatorType<Options = unknown> {
  kind: AuthenticatorKind;
  describe: TypeDescription;
  /** The enrolment options the admin API accepts for this type (strict; extra keys refused). */
  options: z.ZodType<Options>;
  issue(options: Options, ctx: IssueContext): Issued;
  /** OTP types: whether `code` is right for this authenticator now (replay refused via `counter`). */
  check?(
    row: Pick<AuthenticatorRow, 'params' | 'counter'>,
    secret: Buffer,
    code: string,
    now: number,
  ): OtpCheck;
}
