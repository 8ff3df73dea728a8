import type { Kysely, Migration } from 'kysely';

/**
 * The default rules (docs/lifecycle.md). Rules are data: admins add, rename or disable them
 * through `/api/v1/lifecycle/rules`; this migration only seeds a sensible start.
 * - Joiners: everyone enrols one of TOTP, HOTP or a passkey within 14 days; reminders on days
 *   1, 3 and 6; the manager is told on day 7.
 * - Movers into a group whose name contains "admin" or "privileged" (any case): a phishing-
 *   resistant factor (a passkey) within 7 days; reminders on days 1, 3 and 5; the manager is
 *   told on day 5. Their TOTP/HOTP factors are flagged as no longer counting.
 * Written out here (not imported) so this migration never changes once shipped.
 */
const DEFAULT_RULES = [
  {
    id: 'default-joiner',
    name: 'Joiners enrol a second factor within 14 days',
    trigger: 'joiner',
    group_name: null,
    action: {
      require: ['totp', 'hotp', 'webauthn'],
      phishingResistant: false,
      graceDays: 14,
      reminders: [1, 3, 6],
      escalateAfterDays: 7,
    },
  },
  ...['admin', 'privileged'].map((word) => ({
    id: `default-mover-${word}`,
    name: `Members of *${word}* groups need a passkey within 7 days`,
    trigger: 'mover',
    group_name: `*${word}*`,
    action: {
      require: ['webauthn'],
      phishingResistant: true,
      graceDays: 7,
      reminders: [1, 3, 5],
      escalateAfterDays: 5,
    },
  })),
];

/**
 * The joiner/mover/leaver engine: lifecycle rules (data), enrolment requirements (what a person
 * still has to enrol, by when; reminders and escalation; when it was met) and the single-use
 * invitations that lead into enrolment.
 */
export const migration0006: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('lifecycle_rules')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('trigger', 'text', (c) => c.notNull())
      .addColumn('group_name', 'text')
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('enrolment_requirements')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('required_types', 'text', (c) => c.notNull())
      .addColumn('phishing_resistant', 'integer', (c) => c.notNull())
      .addColumn('deadline', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('met_at', 'bigint')
      .addColumn('met_by_authenticator_id', 'text')
      .addColumn('escalated_at', 'bigint')
      .addColumn('last_reminder_at', 'bigint')
      .addColumn('reminders_sent', 'integer', (c) => c.notNull().defaultTo(0))
      // Beyond the minimum: the plan is kept with the requirement, so editing a rule later
      // never changes what a person was already told.
      .addColumn('rule_ids', 'text', (c) => c.notNull())
      .addColumn('trigger_groups', 'text', (c) => c.notNull())
      .addColumn('reminder_days', 'text', (c) => c.notNull())
      .addColumn('escalate_at', 'bigint')
      // The sweep's one indexed question: "what is due?" (null once nothing is left to send).
      .addColumn('next_action_at', 'bigint')
      // A leaver's, or a mover's who left the group that asked for it.
      .addColumn('cancelled_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('enrolment_requirements_user')
      .on('enrolment_requirements')
      .column('user_id')
      .execute();
    await db.schema
      .createIndex('enrolment_requirements_next_action')
      .on('enrolment_requirements')
      .column('next_action_at')
      .execute();

    await db.schema
      .createTable('enrolment_invitations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('requirement_id', 'text', (c) => c.notNull().references('enrolment_requirements.id'))
      // lookupHash of the link's token: the token itself is only ever in the mail.
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      // The pending TOTP issued through this link, confirmed by its first code.
      .addColumn('authenticator_id', 'text')
      .execute();
    await db.schema
      .createIndex('enrolment_invitations_requirement')
      .on('enrolment_invitations')
      .column('requirement_id')
      .execute();

    const now = Date.now();
    await (db as Kysely<{ lifecycle_rules: Record<string, unknown> }>)
      .insertInto('lifecycle_rules')
      .values(
        DEFAULT_RULES.map((r) => ({
          ...r,
          action: JSON.stringify(r.action),
          enabled: 1,
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();
  },
};
