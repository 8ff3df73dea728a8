import type { Actor } from '../audit/audit-log.js';
import type { InventoryService } from '../authenticators/inventory/inventory-service.js';
import type { Context } from '../context.js';
import type { JobService } from '../jobs/job-service.js';
import type { MailService } from '../notify/mail-service.js';
import type { PolicyService } from '../policy/policy-service.js';
import { AppError } from '../shared/errors.js';
import type { Db } from '../store/open-store.js';
import { enrolmentRequirementsRepo } from '../store/repos/enrolment-requirements.js';
import { usersRepo } from '../store/repos/users.js';
import { type GroupInviteResult, inviteGroup } from './bulk-invite.js';
import { type ImportOptions, type ImportReport, importPeople } from './import/import-people.js';
import { LifecycleEvents } from './lifecycle-events.js';
import { type RequirementView, toRequirementView } from './requirement-view.js';
import { RuleService } from './rule-service.js';
import { LifecycleSweep } from './sweep.js';
import { sweepJob } from './sweep-schedule.js';

/**
 * The lifecycle domain as the rest of Portcullis sees it: the event hooks identity changes call
 * (`events`), the rules as data (`rules`), the reminder sweep (`sweep`, a job), people's
 * requirements, and bulk invitation of a group.
 */
export class LifecycleService {
  readonly events: LifecycleEvents;
  readonly rules: RuleService;
  readonly sweep: LifecycleSweep;
  private readonly deps;

  constructor(
    ctx: Context,
    deps: { mail: MailService; jobs: JobService; inventory: InventoryService; policy: PolicyService },
  ) {
    this.deps = { ctx, mail: deps.mail, jobs: deps.jobs, policy: deps.policy };
    this.events = new LifecycleEvents({ ...this.deps, inventory: deps.inventory });
    this.rules = new RuleService(ctx);
    this.sweep = new LifecycleSweep(this.deps);
  }

  /** A person's requirements, newest first; NOT_FOUND for an unknown person. */
  async requirementsOf(userId: string): Promise<RequirementView[]> {
    const db = this.deps.ctx.store.db;
    if (!(await usersRepo.byId(db, userId))) throw new AppError('NOT_FOUND', `no person with id ${userId}`);
    const now = this.deps.ctx.clock.now();
    return (await enrolmentRequirementsRepo.forUser(db, userId)).map((r) => toRequirementView(r, now));
  }

  /** Invites everyone in the group who has not enrolled (see bulk-invite.ts). */
  inviteGroup(actor: Actor, groupName: string): Promise<GroupInviteResult> {
    return inviteGroup(this.deps, actor, groupName);
  }

  /** Creates or updates people from a CSV (see import/import-people.ts). */
  importPeople(actor: Actor, csvText: string, opts: ImportOptions): Promise<ImportReport> {
    return importPeople({ ctx: this.deps.ctx, events: this.events }, actor, csvText, opts);
  }

  /**
   * Makes sure the sweep runs by the earliest step waiting (serve calls it at start, so a sweep
   * chain that gave up, a dead job, picks up again).
   */
  async scheduleSweep(): Promise<void> {
    const { store, clock } = this.deps.ctx;
    const next = await enrolmentRequirementsRepo.earliestNextAction(store.db);
    if (next === undefined) return;
    await store.transaction((trx: Db) => this.deps.jobs.enqueue(trx, sweepJob(Math.max(next, clock.now()))));
  }
}
