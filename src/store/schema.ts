import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * The tables as both dialects hold them. Times are integers (ms since the epoch, UTC), booleans
 * 0/1, structured values JSON text, so one query serves SQLite and PostgreSQL alike.
 */
export interface UsersTable {
  id: string;
  username: string;
  username_lower: string;
  email: string | null;
  display_name: string | null;
  status: 'active' | 'suspended' | 'deprovisioned';
  external_id: string | null;
  password_hash: string | null;
  /** Consecutive failed verifications on any path (validation API, SSO, recovery codes). */
  failed_attempts: Generated<number>;
  /** While in the future, every verification for this person is refused unseen. */
  locked_until: number | null;
  created_at: number;
  updated_at: number;
}

export interface GroupsTable {
  id: string;
  name: string;
  name_lower: string;
  created_at: number;
}

export interface GroupMembersTable {
  group_id: string;
  user_id: string;
}

export interface AuthenticatorsTable {
  id: string;
  /** Null while a hardware token sits unassigned in the inventory. */
  user_id: string | null;
  type: 'totp' | 'hotp' | 'recovery_codes' | 'access_pass' | 'webauthn';
  state: 'pending' | 'active' | 'suspended' | 'lost' | 'revoked';
  name: string | null;
  /** Hardware serial number, unique; null for soft authenticators. */
  serial: string | null;
  /** The sealed secret (AES-256-GCM, see crypto/envelope.ts); null for hashed one-time codes. */
  secret_enc: string | null;
  /** JSON: type-specific, non-secret parameters (algorithm, digits, period, …). */
  params: string;
  /** TOTP: last accepted time step. HOTP: next expected counter. Moves forward only. */
  counter: number | null;
  created_at: number;
  updated_at: number;
  activated_at: number | null;
  last_used_at: number | null;
  expires_at: number | null;
  state_reason: string | null;
}

export interface OneTimeCodesTable {
  id: string;
  authenticator_id: string;
  user_id: string;
  code_hash: string;
  used_at: number | null;
  created_at: number;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  role: string;
  token_hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface AuditEventsTable {
  seq: number;
  at: number;
  actor: string;
  action: string;
  subject: string | null;
  source_ip: string | null;
  outcome: 'success' | 'failure' | 'denied';
  /** JSON object, never with a secret, code or token. */
  details: string;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
  /** HMAC over (seq, hash) with a key derived from the master key: truncation shows. */
  mac: string;
  master_kid: string;
}

export interface EncryptionKeysTable {
  id: string;
  purpose: string;
  /** The data key, sealed under the master key named by master_kid. */
  wrapped: string;
  master_kid: string;
  is_current: number;
  created_at: number;
  retired_at: number | null;
}

export interface BootstrapTokensTable {
  id: string;
  token_hash: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface Database {
  users: UsersTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  authenticators: AuthenticatorsTable;
  one_time_codes: OneTimeCodesTable;
  api_tokens: ApiTokensTable;
  audit_events: AuditEventsTable;
  audit_head: AuditHeadTable;
  encryption_keys: EncryptionKeysTable;
  bootstrap_tokens: BootstrapTokensTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type AuthenticatorRow = Selectable<AuthenticatorsTable>;
export type NewAuthenticatorRow = Insertable<AuthenticatorsTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
