import { z } from 'zod';
import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import { AppError } from '../shared/errors.js';
import { personRolesRepo } from '../store/repos/person-roles.js';
import { usersRepo } from '../store/repos/users.js';
import type { Role } from '../tokens/roles.js';

/** The roles a person can hold for the admin console: the same names, and rights, as API tokens. */
export const CONSOLE_ROLES = ['admin', 'helpdesk', 'approver', 'auditor'] as const satisfies readonly Role[];
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

const rolesBody = z.strictObject({
  roles: z.array(z.enum(CONSOLE_ROLES)).max(CONSOLE_ROLES.length),
});

/** Who may use the console, and as what. Every change is one transaction with its audit event. */
export class PersonRolesService {
  constructor(private readonly ctx: Context) {}

  /** The person's console roles (none for most people). */
  async of(userId: string): Promise<ConsoleRole[]> {
    const roles = await personRolesRepo.of(this.ctx.store.db, userId);
    return roles.filter((r): r is ConsoleRole => (CONSOLE_ROLES as readonly string[]).includes(r));
  }

  /** Sets the person's roles to exactly `body.roles` (an empty list removes every role). */
  async set(actor: Actor, userId: string, body: unknown): Promise<{ userId: string; roles: ConsoleRole[] }> {
    const parsed = rolesBody.safeParse(body);
    if (!parsed.success) {
      throw new AppError('BAD_REQUEST', `roles must be a list of: ${CONSOLE_ROLES.join(', ')}`);
    }
    const roles = [...new Set(parsed.data.roles)].sort();
    const now = this.ctx.clock.now();
    return this.ctx.store.transaction(async (trx) => {
      const user = await usersRepo.byId(trx, userId);
      if (!user) throw new AppError('NOT_FOUND', `no person ${userId}`);
      if (roles.length > 0 && user.status !== 'active') {
        throw new AppError('CONFLICT', 'only an active person can hold console roles');
      }
      const before = await personRolesRepo.of(trx, userId);
      await personRolesRepo.replace(trx, userId, roles, actor.label, now);
      await this.ctx.audit.append(trx, actor, {
        action: 'person.roles_set',
        subject: userId,
        details: { before, after: roles },
      });
      return { userId, roles };
    });
  }
}
