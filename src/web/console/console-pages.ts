import type { ConsoleRole } from '../../identity/person-roles-service.js';

/** One page of the console: where it lives, its name in the menu, and who may open it. */
export interface ConsolePageEntry {
  path: string;
  title: string;
  /** The same roles as the /api/v1 routes the page reads. */
  roles: readonly ConsoleRole[];
  /** Shown only while no SMTP_URL is set (the dev outbox). */
  devOnly?: boolean;
}

const READERS = ['admin', 'helpdesk', 'approver', 'auditor'] as const;

/** Every console page, in menu order; the role × page test walks this list. */
export const CONSOLE_PAGES = {
  dashboard: { path: '/console/dashboard', title: 'Dashboard', roles: ['admin', 'auditor'] },
  people: { path: '/console/people', title: 'People', roles: READERS },
  authenticators: {
    path: '/console/authenticators',
    title: 'Authenticators',
    roles: ['admin', 'helpdesk', 'auditor'],
  },
  policies: { path: '/console/policies', title: 'Policies', roles: ['admin', 'approver', 'auditor'] },
  helpdesk: { path: '/console/helpdesk', title: 'Help desk', roles: READERS },
  audit: { path: '/console/audit', title: 'Audit', roles: ['admin', 'auditor'] },
  clients: { path: '/console/clients', title: 'Applications', roles: ['admin', 'auditor'] },
  outbox: { path: '/console/outbox', title: 'Outbox', roles: ['admin', 'helpdesk'], devOnly: true },
} as const satisfies Record<string, ConsolePageEntry>;

export type ConsolePageKey = keyof typeof CONSOLE_PAGES;

/** Every console form, with the roles of the /api/v1 route it stands for (the role test walks this too). */
export const CONSOLE_ACTIONS = {
  /** PUT /api/v1/users/{id}/roles */
  setRoles: ['admin'],
  /** POST /api/v1/authenticators/{id}/lost | suspend | revoke */
  factorState: ['admin', 'helpdesk'],
  /** POST /api/v1/recovery-requests */
  openRecovery: ['helpdesk', 'admin'],
  /** POST /api/v1/recovery-requests/{id}/approve | reject */
  decideRecovery: ['approver'],
  /** PSKC import (like the CLI's `import pskc`: admins only) */
  importTokens: ['admin'],
  /** POST /api/v1/inventory/{serial}/assign | unassign */
  inventoryMove: ['admin', 'helpdesk'],
} as const satisfies Record<string, readonly ConsoleRole[]>;

/** Whether someone holding `roles` may use the console form `action`. */
export function mayAct(action: keyof typeof CONSOLE_ACTIONS, roles: readonly ConsoleRole[]): boolean {
  return CONSOLE_ACTIONS[action].some((r) => roles.includes(r));
}

/** Whether someone holding `roles` may open `entry`. */
export function mayOpen(entry: ConsolePageEntry, roles: readonly ConsoleRole[]): boolean {
  return entry.roles.some((r) => roles.includes(r));
}
