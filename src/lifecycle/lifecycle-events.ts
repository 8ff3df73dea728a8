import type { Actor, AuditEntry } from '../audit/audit-log.js';
import type { InventoryService } from '../authenticators/inventory/inventory-service.js';
import type { Db } from '../store/open-store.js';
import { authenticatorsRepo } from '../store/repos/authenticators.js';
import { enrolmentRequirementsRepo } from '../store/repos/enrolment-requirements.js';
import { groupsRepo } from '../store/repos/groups.js';
import { usersRepo } from '../store/repos/users.js';
import type { EnrolmentRequirementRow } from '../store/schema.js';
import { type Decision, evaluateRules, moverStillApplies } from './evaluate-rules.js';
import { satisfyingFactor } from './factor-fit.js';
import type { Addressee } from './notices.js';
import { type EngineDeps, type Opening, openRequirements, timingsOf } from './open-requirements.js';
import { rescheduleForStartDate } from './reschedule.js';
import { countsFromFor, covers } from './requirement-row.js';
import type { Rule } from './rule.js';
import { loadRules } from './rule-service.js';
import { planStartPass, type StartFacts, type StartPassPlan, startPassJob } from './start-pass.js';

/** A change of one group's members or name, as SCIM Groups makes it. */
export interface GroupChange {
  /** The group's name before and after the change (the same unless renamed). */
  nameBefore: string;
  nameAfter: string;
  added: readonly string[];
  removed: readonly string[];
  /** Members before and after: their groups change only when the group is renamed. */
  kept: readonly string[];
}

/** A person who joined, with their groups (and, for a day-one pass, their start date and manager). */
export interface Joined {
  person: Addressee;
  groups: readonly string[];
  start?: StartFacts;
}

const lower = (s: string) => s.toLowerCase();

/**
 * The lifecycle hooks: identity changes from SCIM, the admin API and the CSV import become
 * events here, inside the transaction that made the change. The pure evaluator
 * (evaluate-rules.ts) decides; this runs what it decided: requirements with their invitations,
 * hardware tokens bound in advance, lapsed mover requirements cancelled. The leaver is
 * lifecycle/leaver.ts, which every deprovisioning path already runs.
 */
export class LifecycleEvents {
  constructor(private readonly deps: EngineDeps & { inventory: InventoryService }) {}

  /** A person joined: created active, or reactivated (a rehire, whose factors the leaver revoked). */
  async onJoined(trx: Db, actor: Actor, userId: string): Promise<void> {
    const person = await usersRepo.byId(trx, userId);
    if (person?.status !== 'active') return;
    const groups = await groupsRepo.namesOf(trx, userId);
    const start = { startDate: person.start_date, managerId: person.manager_id };
    await this.onJoinedMany(trx, actor, [{ person, groups, start }]);
  }

  /** Many people joined at once (an import batch): one read of the rules, multi-row writes. Returns the requirements opened. */
  async onJoinedMany(
    trx: Db,
    actor: Actor,
    joined: readonly Joined[],
    rules?: readonly Rule[],
  ): Promise<number> {
    const active = rules ?? (await loadRules(trx, ['joiner', 'mover']));
    const openings: Opening[] = [];
    const passes: Array<{ at: number; plan: StartPassPlan }> = [];
    const now = this.deps.ctx.clock.now();
    // The evaluator is pure: people with the same groups get the same decision (a wave has few group sets).
    const decisions = new Map<string, Decision>();
    for (const j of joined) {
      const key = j.groups.join('\u0000');
      const d = decisions.get(key) ?? evaluateRules({ kind: 'joined', groups: j.groups }, active);
      decisions.set(key, d);
      await this.bindToken(trx, actor, j.person.id, d);
      // A joiner holds no usable factor (a token bound just now is pending until its first code).
      if (!d.requirement) continue;
      const pass = planStartPass(d, j.start ?? { startDate: null, managerId: null }, now);
      if (pass) passes.push({ at: openings.length, plan: pass });
      const deferNotice =
        pass && 'runAt' in pass
          ? `deferred: a Temporary Access Pass to the manager ${pass.daysBefore} days before the start date`
          : undefined;
      openings.push({
        person: j.person,
        plan: d.requirement,
        factors: [],
        deferNotice,
        startDate: j.start?.startDate ?? null,
      });
    }
    const rows = await openRequirements(trx, this.deps, actor, openings);
    await this.scheduleStartPasses(trx, actor, rows, passes);
    return rows.length;
  }

  /** Schedules the day-one pass jobs of a joiner batch, or records why the invitation went out instead. */
  private async scheduleStartPasses(
    trx: Db,
    actor: Actor,
    rows: readonly EnrolmentRequirementRow[],
    passes: ReadonlyArray<{ at: number; plan: StartPassPlan }>,
  ): Promise<void> {
    const audit: AuditEntry[] = [];
    for (const { at, plan } of passes) {
      const row = rows[at]!;
      if ('fallback' in plan) {
        audit.push({
          action: 'lifecycle.start_pass_fallback',
          subject: row.user_id,
          details: { requirementId: row.id, reason: plan.fallback, rule: 'passToManagerDaysBefore' },
        });
        continue;
      }
      await this.deps.jobs.enqueue(trx, startPassJob(row.id, row.user_id, plan.runAt, plan.daysBefore));
      audit.push({
        action: 'lifecycle.start_pass_scheduled',
        subject: row.user_id,
        details: { requirementId: row.id, rule: plan.ruleId, sendAt: new Date(plan.runAt).toISOString() },
      });
    }
    if (audit.length > 0) await this.deps.ctx.audit.append(trx, actor, ...audit);
  }

  /** A person's start date changed: deadlines, reminders and the day-one pass move (reschedule.ts). */
  onStartDateChanged(trx: Db, actor: Actor, userId: string): Promise<void> {
    return rescheduleForStartDate(trx, this.deps, actor, userId);
  }

  /**
   * A person's groups changed (the mover): mover requirements whose groups they left lapse; a
   * group that asks for more opens a requirement with its own deadline, unless a factor they
   * hold already meets it or an open requirement already asks as much; the factors that no
   * longer count are flagged.
   */
  async onGroupsChanged(
    trx: Db,
    actor: Actor,
    userId: string,
    before: readonly string[],
    after: readonly string[],
    rules?: readonly Rule[],
  ): Promise<void> {
    const person = await usersRepo.byId(trx, userId);
    if (person?.status !== 'active') return;
    const now = this.deps.ctx.clock.now();
    const movers = rules ?? (await loadRules(trx, ['mover']));
    const open = [];
    for (const req of await enrolmentRequirementsRepo.openForUser(trx, userId)) {
      const lapsed =
        req.reason === 'mover' && !moverStillApplies(req.phishing_resistant === 1, after, movers);
      if (!lapsed) open.push(req);
      else if (await enrolmentRequirementsRepo.cancel(trx, req.id, now)) {
        await this.deps.ctx.audit.append(trx, actor, {
          action: 'lifecycle.requirement_cancelled',
          subject: userId,
          details: { requirementId: req.id, reason: 'no group they are in asks for it any more' },
        });
      }
    }
    const d = evaluateRules({ kind: 'groupsChanged', before, after }, movers);
    await this.bindToken(trx, actor, userId, d);
    if (!d.requirement) return;
    const plan = { ...d.requirement, ...(await timingsOf(trx, this.deps, [userId])).get(userId)! };
    if (open.some((r) => covers(r, plan, countsFromFor(person.start_date, now)))) return;
    const factors = await authenticatorsRepo.forUser(trx, userId);
    if (satisfyingFactor(factors, plan)) return;
    await openRequirements(trx, this.deps, actor, [{ person, plan, factors, startDate: person.start_date }]);
  }

  /** One group's members or name changed: a groups change for everyone it touches. */
  async onGroupMembershipChanged(trx: Db, actor: Actor, change: GroupChange): Promise<void> {
    const renamed = lower(change.nameBefore) !== lower(change.nameAfter);
    const touched = [...change.added, ...change.removed, ...(renamed ? change.kept : [])];
    if (touched.length === 0) return;
    const rules = await loadRules(trx, ['mover']);
    const added = new Set(change.added);
    for (const userId of touched) {
      const after = await groupsRepo.namesOf(trx, userId);
      const before = after.filter((g) => lower(g) !== lower(change.nameAfter));
      if (!added.has(userId)) before.push(change.nameBefore);
      await this.onGroupsChanged(trx, actor, userId, before, after, rules);
    }
  }

  private async bindToken(trx: Db, actor: Actor, userId: string, d: Decision): Promise<void> {
    if (!d.bindHardwareToken) return;
    const serial = await this.deps.inventory.bindFirstAvailable(trx, actor, userId, d.bindHardwareToken.type);
    if (serial === null) {
      await this.deps.ctx.audit.append(trx, actor, {
        action: 'lifecycle.hardware_token_unavailable',
        subject: userId,
        outcome: 'failure',
        details: { rule: d.bindHardwareToken.ruleId, type: d.bindHardwareToken.type },
      });
    }
  }
}
