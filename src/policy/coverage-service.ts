import { listTypes } from '../authenticators/registry.js';
import type { Context } from '../context.js';
import { groupsRepo } from '../store/repos/groups.js';
import { authenticatorsRepo } from '../store/repos/authenticators.js';
import { oidcClientsRepo } from '../store/repos/oidc-clients.js';
import { policyExceptionsRepo } from '../store/repos/policy-exceptions.js';
import { usersRepo } from '../store/repos/users.js';
import type { PolicyService } from './policy-service.js';
import { toPolicyException } from './policy-view.js';
import { type Coverage, type CoveragePerson, coverage } from './what-if.js';

const PAGE = 500;

/**
 * The what-if coverage report over the live organisation: every active person × every OIDC
 * application, the requirement as enforced against the factors they hold. Reads only.
 */
export class CoverageService {
  constructor(
    private readonly ctx: Context,
    private readonly policies: PolicyService,
    /** The level the sign-in requires of everyone (the SSO floor). */
    private readonly floorAal: 1 | 2 | 3,
  ) {}

  /** Coverage now. */
  async report(): Promise<Coverage & { generatedAt: string }> {
    const db = this.ctx.store.reader;
    const now = this.ctx.clock.now();
    const people: CoveragePerson[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await usersRepo.list(db, { limit: PAGE, offset });
      const live = page.filter((u) => u.status === 'active' && u.deleted_at === null);
      const ids = live.map((u) => u.id);
      const [groups, factors] = await Promise.all([
        groupsRepo.membershipsOf(db, ids),
        authenticatorsRepo.typesOfUsers(db, ids),
      ]);
      for (const u of live) {
        people.push({
          id: u.id,
          username: u.username,
          groups: groups.filter((g) => g.user_id === u.id).map((g) => g.name),
          // An expired pass or token is no factor, whatever its state says.
          factors: factors
            .filter((f) => f.user_id === u.id && (f.expires_at === null || f.expires_at > now))
            .map((f) => ({ type: f.type, state: f.state })),
        });
      }
      if (page.length < PAGE) break;
    }
    const clients = await oidcClientsRepo.list(db);
    const applications = clients.map((c) => {
      const meta = JSON.parse(c.metadata) as { client_name?: string };
      return { clientId: c.client_id, name: meta.client_name ?? c.client_id };
    });
    const exceptions = (await policyExceptionsRepo.unexpired(db, now)).map(toPolicyException);
    const report = coverage({
      people,
      applications,
      policies: await this.policies.list(),
      exceptions,
      now,
      baseline: this.policies.baseline,
      floorAal: this.floorAal,
      describe: (type) => listTypes().find((t) => t.kind === type)?.describe,
    });
    return { generatedAt: new Date(now).toISOString(), ...report };
  }
}
