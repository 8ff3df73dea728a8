import { z } from 'zod';
import type { UserRow } from '../store/schema.js';
import { formatStartDate, startDateSchema } from './start-date.js';

export const PERSON_STATUSES = ['active', 'suspended', 'deprovisioned'] as const;
export type PersonStatus = (typeof PERSON_STATUSES)[number];

/** Lifecycle moves a person may make; deprovisioned is final except by explicit reactivation. */
const TRANSITIONS: Record<PersonStatus, readonly PersonStatus[]> = {
  active: ['suspended', 'deprovisioned'],
  suspended: ['active', 'deprovisioned'],
  deprovisioned: ['active'],
};

/** Whether a person may move from one status to another. */
export function canMoveTo(from: PersonStatus, to: PersonStatus): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

/** What the outside world sees of a person (never a password hash or throttle internals). */
export interface PersonView {
  id: string;
  username: string;
  email: string | null;
  displayName: string | null;
  status: PersonStatus;
  externalId: string | null;
  /** First working day `YYYY-MM-DD`, or null when unknown. */
  startDate: string | null;
  /** The id of the person's manager, or null. */
  managerId: string | null;
  groups: string[];
  createdAt: string;
  updatedAt: string;
}

/** Shapes a row and its groups for the API. */
export function toPersonView(row: UserRow, groups: string[]): PersonView {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    displayName: row.display_name,
    status: row.status,
    externalId: row.external_id,
    startDate: row.start_date === null ? null : formatStartDate(row.start_date),
    managerId: row.manager_id,
    groups,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** Usernames: 1–128 printable characters without spaces at either end. */
export const usernameSchema = z
  .string()
  .trim()
  .min(1, 'username must not be empty')
  .max(128, 'username is longer than 128 characters')
  .regex(/^[^\s\p{C}]+$/u, 'username must not contain spaces or control characters');

export const newPersonSchema = z.strictObject({
  username: usernameSchema,
  email: z.email().max(254).nullish(),
  displayName: z.string().trim().min(1).max(200).nullish(),
  externalId: z.string().min(1).max(200).nullish(),
  password: z.string().min(8, 'password must be at least 8 characters').max(256).nullish(),
  groups: z.array(z.string().trim().min(1).max(200)).max(100).optional(),
  /** First working day, `YYYY-MM-DD` (a joiner rule may hand the manager a day-one pass). */
  startDate: startDateSchema,
  /** The id of the person's manager (an existing person). */
  managerId: z.string().min(1).max(64).nullish(),
});
export type NewPerson = z.infer<typeof newPersonSchema>;

/**
 * A change to a person (`PATCH /api/v1/users/{id}`): a key given sets the value, null clears it,
 * a key left out keeps it. Groups change through SCIM Groups or `import users` (the mover);
 * the password through its own route; the status through `/status` (the leaver).
 */
export const personUpdateSchema = z
  .strictObject({
    username: usernameSchema.optional(),
    email: newPersonSchema.shape.email,
    displayName: newPersonSchema.shape.displayName,
    externalId: newPersonSchema.shape.externalId,
    startDate: startDateSchema,
    managerId: newPersonSchema.shape.managerId,
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'name at least one attribute to change' });
export type PersonUpdate = z.infer<typeof personUpdateSchema>;
