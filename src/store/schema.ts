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
  // SCIM (migration 0002): core and enterprise attributes, ETag version, soft delete.
  given_name: string | null;
  family_name: string | null;
  title: string | null;
  employee_number: string | null;
  department: string | null;
  manager_id: string | null;
  /** Bumped on every change to the row (SCIM ETag `W/"version"`). */
  version: Generated<number>;
  /** Set by SCIM DELETE: the row stays (deprovisioned) so audit subjects resolve; SCIM no longer shows it. */
  deleted_at: number | null;
  /** First working day (ms since the epoch, midnight UTC), when known (migration 0010). */
  start_date: number | null;
}

export interface GroupsTable {
  id: string;
  name: string;
  name_lower: string;
  created_at: number;
  // SCIM (migration 0002).
  external_id: string | null;
  updated_at: number | null;
  /** Bumped on every change to the group or its members (SCIM ETag). */
  version: Generated<number>;
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
  jobs: JobsTable;
  outbox: OutboxTable;
  webhooks: WebhooksTable;
  oidc_models: OidcModelsTable;
  oidc_clients: OidcClientsTable;
  oidc_signing_keys: OidcSigningKeysTable;
  webauthn_credentials: WebauthnCredentialsTable;
  webauthn_challenges: WebauthnChallengesTable;
  recovery_requests: RecoveryRequestsTable;
  policies: PoliciesTable;
  policy_exceptions: PolicyExceptionsTable;
  lifecycle_rules: LifecycleRulesTable;
  enrolment_requirements: EnrolmentRequirementsTable;
  enrolment_invitations: EnrolmentInvitationsTable;
  person_roles: PersonRolesTable;
  metrics_people: MetricsPeopleTable;
  metrics_factors: MetricsFactorsTable;
  metrics_enrolment: MetricsEnrolmentTable;
  metrics_funnel: MetricsFunnelTable;
  metrics_people_delta: MetricsPeopleTable;
  metrics_factors_delta: MetricsFactorsTable;
  metrics_funnel_delta: MetricsFunnelTable;
}

/** People by status, kept by triggers (migration 0011); `_delta`: appended changes, any number per key. */
export interface MetricsPeopleTable {
  status: string;
  n: number;
}

/** Owned authenticators by type and state, kept by triggers (migration 0011); `_delta` as for people. */
export interface MetricsFactorsTable {
  type: string;
  state: string;
  n: number;
}

/** Per person: second factors (any state), active ones, first activation (migration 0011 triggers). */
export interface MetricsEnrolmentTable {
  user_id: string;
  factors: number;
  active: number;
  first_active_at: number | null;
  user_created_at: number;
  /** first_active_at − user_created_at, never negative; null before any activation. */
  enrol_ms: number | null;
}

/** Enrolment funnel per group id ('' = everyone) over active people (migration 0011 triggers). */
export interface MetricsFunnelTable {
  group_id: string;
  people: number;
  started: number;
  completed: number;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type AuthenticatorRow = Selectable<AuthenticatorsTable>;
export type NewAuthenticatorRow = Insertable<AuthenticatorsTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;

/** Durable work (mail, webhooks, sweeps): claimed by one worker at a time, retried with back-off. */
export interface JobsTable {
  id: string;
  kind: string;
  /** JSON; secrets in it are sealed by whoever enqueued the job. */
  payload: string;
  /** At most one job per key, ever: enqueueing the same key again is a no-op. */
  idempotency_key: string | null;
  /** queued → running → done; failed (not retryable) or dead (out of attempts) are final until retried by hand. */
  state: 'queued' | 'running' | 'done' | 'failed' | 'dead';
  /** Runs started so far (counted when claimed, so a crashing job still runs out of attempts). */
  attempts: Generated<number>;
  max_attempts: number;
  /** Not before this time (ms): creation, or the next retry after back-off. */
  run_at: number;
  locked_by: string | null;
  /** The running worker's lease: past it, the job is taken back (the worker is presumed dead). */
  locked_until: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  /** When it reached a final state (done, failed, dead). */
  done_at: number | null;
}

/** The dev outbox: mail that would have gone out while no SMTP_URL is set. */
export interface OutboxTable {
  id: string;
  to_addr: string;
  subject: string;
  /** Sealed (aad `outbox:<id>:text` / `:html`): action links are single-use credentials. */
  text_enc: string;
  html_enc: string;
  sent_at: number;
  job_id: string | null;
}

/** Webhook subscriptions: lifecycle events POSTed as JSON, HMAC-signed with the sealed secret. */
export interface WebhooksTable {
  id: string;
  url: string;
  /** Sealed with aad `webhook:<id>`. */
  secret_enc: string;
  /** JSON array of event types (audit action names, or "*"). */
  events: string;
  created_at: number;
  active: Generated<number>;
}

export type JobRow = Selectable<JobsTable>;
export type NewJobRow = Insertable<JobsTable>;
export type OutboxRow = Selectable<OutboxTable>;
export type WebhookRow = Selectable<WebhooksTable>;

/** Every oidc-provider model (Session, Interaction, AuthorizationCode, RefreshToken, Grant, …) by kind and id. */
export interface OidcModelsTable {
  kind: string;
  id: string;
  /** JSON: the model's payload as oidc-provider hands it over. */
  payload: string;
  grant_id: string | null;
  user_code: string | null;
  uid: string | null;
  /** The person (accountId) a session, grant or token belongs to. */
  account_id: string | null;
  expires_at: number | null;
  /** Set once by a conditional UPDATE: single-use artifacts are redeemed at most once. */
  consumed_at: number | null;
}

/** Registered OIDC clients (relying parties and service clients). */
export interface OidcClientsTable {
  client_id: string;
  /** JSON: oidc-provider client metadata; a secret only as `client_secret_enc` (sealed). */
  metadata: string;
  first_party: number;
  created_at: number;
}

/** ID-token signing keys: the newest unretired key per algorithm signs; retired ones stay published a while. */
export interface OidcSigningKeysTable {
  kid: string;
  alg: string;
  /** The private JWK, sealed with aad `oidc-key:<kid>`. */
  private_jwk_enc: string;
  /** JSON: the public JWK. */
  public_jwk: string;
  created_at: number;
  retired_at: number | null;
  expires_publish_at: number | null;
}

export type OidcModelRow = Selectable<OidcModelsTable>;
export type OidcClientRow = Selectable<OidcClientsTable>;
export type OidcSigningKeyRow = Selectable<OidcSigningKeysTable>;

/** A passkey's public half: one row per `webauthn` authenticator (migration 0005). */
export interface WebauthnCredentialsTable {
  authenticator_id: string;
  user_id: string;
  /** base64url; unique across everyone. */
  credential_id: string;
  /** base64url COSE key (public, not secret). */
  public_key: string;
  /** The authenticator's signature counter; only moves forward (0 stays 0 for synced passkeys). */
  sign_count: number;
  aaguid: string;
  /** JSON array of transports. */
  transports: string;
  backup_eligible: number;
  backup_state: number;
  device_type: 'singleDevice' | 'multiDevice';
  user_handle: string;
  user_verified: number;
  created_at: number;
}

/** WebAuthn ceremony challenges: single use, bound to a sign-in or account session, ≤10 min. */
export interface WebauthnChallengesTable {
  id: string;
  challenge_hash: string;
  purpose: 'register' | 'authenticate';
  user_id: string | null;
  binding: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export type WebauthnCredentialRow = Selectable<WebauthnCredentialsTable>;
export type WebauthnChallengeRow = Selectable<WebauthnChallengesTable>;

/** Help-desk recovery requests (migration 0008): evidence, four-eyes decision, the pass issued. */
export interface RecoveryRequestsTable {
  id: string;
  user_id: string;
  /** Audit label of the agent who opened it. */
  requested_by: string;
  /** Token name of that agent: the four-eyes key (the approver's must differ). */
  requester_name: string;
  proofing_method: string;
  proofing_reference: string | null;
  notes: string | null;
  privileged: number;
  state: 'open' | 'approved' | 'rejected' | 'expired' | 'completed' | 'cancelled';
  approved_by: string | null;
  approved_at: number | null;
  decided_reason: string | null;
  expires_at: number;
  pass_authenticator_id: string | null;
  pass_delivery: 'agent' | 'manager' | null;
  revoke_old: number;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
}

export type RecoveryRequestRow = Selectable<RecoveryRequestsTable>;

/** Policies (migration 0007): rules as data for a group, an application (client_id) or everyone. */
export interface PoliciesTable {
  id: string;
  name: string;
  target_kind: 'group' | 'client' | 'default';
  /** Group name or client_id; null for the default policy. */
  target: string | null;
  /** JSON: the rules this policy sets (see src/policy/policy-model.ts). */
  rules: string;
  /** Among override policies, the highest priority wins. */
  priority: Generated<number>;
  /** 1: this policy's values win over stricter ones from other policies. */
  override: Generated<number>;
  enabled: Generated<number>;
  created_at: number;
  updated_at: number;
  version: Generated<number>;
}

/** Time-bound waivers of policy rules (migration 0007), for one person or a group. */
export interface PolicyExceptionsTable {
  id: string;
  user_id: string | null;
  group_name: string | null;
  /** JSON: the rule fields waived and the value they take instead. */
  waives: string;
  owner: string;
  reason: string;
  ticket: string | null;
  starts_at: number;
  expires_at: number;
  granted_by: string;
  created_at: number;
  revoked_at: number | null;
  /** Set by the sweep once past expiry; evaluation reads expires_at itself. */
  expired_at: number | null;
  notified_7d_at: number | null;
  notified_1d_at: number | null;
}

export type PolicyRow = Selectable<PoliciesTable>;
export type PolicyExceptionRow = Selectable<PolicyExceptionsTable>;

/** Lifecycle rules (migration 0006): data the one pure evaluator reads (lifecycle/evaluate-rules.ts). */
export interface LifecycleRulesTable {
  id: string;
  name: string;
  trigger: 'joiner' | 'mover' | 'leaver';
  /** A group name (`*` wildcards, any case); null: everyone. */
  group_name: string | null;
  /** JSON: the rule's action (lifecycle/rule.ts ruleActionSchema). */
  action: string;
  enabled: number;
  created_at: number;
  updated_at: number;
}

/** What a person still has to enrol, by when; reminders, escalation and when it was met. */
export interface EnrolmentRequirementsTable {
  id: string;
  user_id: string;
  reason: 'joiner' | 'mover';
  /** JSON array of the authenticator types that meet it. */
  required_types: string;
  phishing_resistant: number;
  deadline: number;
  created_at: number;
  /**
   * When the grace period started (migration 0012): the start date when it was ahead at
   * opening, else created_at. Reminder and escalation days count from it.
   */
  counts_from: number;
  /** Time-to-enrol is met_at - created_at. */
  met_at: number | null;
  met_by_authenticator_id: string | null;
  escalated_at: number | null;
  last_reminder_at: number | null;
  reminders_sent: Generated<number>;
  /** JSON array: the rules that opened it. */
  rule_ids: string;
  /** JSON array: the groups whose entry opened it (for the record; lapsing is re-evaluated from the rules). */
  trigger_groups: string;
  /** JSON array: reminder days after counts_from, fixed when it opened. */
  reminder_days: string;
  escalate_at: number | null;
  /** When the sweep next has something to send; null once nothing is left (or met/cancelled). */
  next_action_at: number | null;
  cancelled_at: number | null;
}

/** Single-use enrolment links: only the lookupHash of the token is kept. */
export interface EnrolmentInvitationsTable {
  id: string;
  user_id: string;
  requirement_id: string;
  token_hash: string;
  created_at: number;
  expires_at: number;
  /** Set once by a conditional UPDATE when enrolment through the link completes. */
  used_at: number | null;
  /** The pending TOTP issued through the link, confirmed by its first code. */
  authenticator_id: string | null;
}

export type LifecycleRuleRow = Selectable<LifecycleRulesTable>;
export type EnrolmentRequirementRow = Selectable<EnrolmentRequirementsTable>;
export type NewEnrolmentRequirementRow = Insertable<EnrolmentRequirementsTable>;
export type EnrolmentInvitationRow = Selectable<EnrolmentInvitationsTable>;

/** The console roles a person holds (admin, helpdesk, approver, auditor): one row per role. */
export interface PersonRolesTable {
  user_id: string;
  role: string;
  /** The audit label of who granted it. */
  granted_by: string;
  granted_at: number;
}
