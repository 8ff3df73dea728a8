import { createHash } from 'node:crypto';
import type { Store } from '../../src/store/open-store.js';
import type { Database } from '../../src/store/schema.js';

/**
 * The tables whose content a refused request must leave exactly as it was (API tokens aside:
 * every authenticated call stamps `last_used_at`; OIDC models aside: an authorization request
 * legitimately opens an interaction).
 */
const STATE_TABLES: ReadonlyArray<keyof Database> = [
  'users',
  'groups',
  'group_members',
  'authenticators',
  'one_time_codes',
  'audit_events',
  'audit_head',
  'policies',
  'policy_exceptions',
  'recovery_requests',
  'oidc_clients',
  'webhooks',
  'jobs',
  'outbox',
  'enrolment_requirements',
  'enrolment_invitations',
  'lifecycle_rules',
  'webauthn_credentials',
  'person_roles',
];

/**
 * A digest of every row of every state-holding table (the audit chain and its head included):
 * equal before and after a request means the request wrote nothing. For small test databases.
 */
export async function stateFingerprint(store: Store): Promise<string> {
  const hash = createHash('sha256');
  for (const table of STATE_TABLES) {
    const rows = await store.db.selectFrom(table).selectAll().execute();
    hash.update(
      `${table}:${rows
        .map((r) => JSON.stringify(r))
        .sort()
        .join('\n')}\n`,
    );
  }
  return hash.digest('hex');
}
