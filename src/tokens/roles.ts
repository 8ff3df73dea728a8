/** The roles an API token can hold (CONTRACT.md). */
export const ROLES = ['admin', 'helpdesk', 'approver', 'auditor', 'scim', 'validator'] as const;
export type Role = (typeof ROLES)[number];

/** Whether a string names a role. */
export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
