import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import { newId } from '../crypto/random.js';
import { AppError } from '../shared/errors.js';
import type { Db } from '../store/open-store.js';
import { lifecycleRulesRepo } from '../store/repos/lifecycle-rules.js';
import type { LifecycleRulesTable } from '../store/schema.js';
import { newRuleSchema, type Rule, rulePatchSchema } from './rule.js';
import { type RuleView, toRule, toRuleView } from './rule-view.js';

/** The enabled rules of some triggers, as the evaluator reads them (read inside the event's transaction). */
export async function loadRules(
  db: Db,
  triggers: ReadonlyArray<LifecycleRulesTable['trigger']>,
): Promise<Rule[]> {
  const rows = await lifecycleRulesRepo.enabled(db, triggers);
  return rows.map(toRule).filter((r): r is Rule => r !== undefined);
}

/** Lifecycle rules as data: list, add, rename, enable or disable. Every write is audited. */
export class RuleService {
  constructor(private readonly ctx: Context) {}

  /** Every rule, oldest first. */
  async list(): Promise<RuleView[]> {
    return (await lifecycleRulesRepo.list(this.ctx.store.db)).map(toRuleView);
  }

  /** Adds a rule (validated: VALIDATION_FAILED names what is wrong). */
  async create(actor: Actor, body: unknown): Promise<RuleView> {
    const input = newRuleSchema.parse(body);
    const now = this.ctx.clock.now();
    const id = newId();
    return this.ctx.store.transaction(async (trx) => {
      await lifecycleRulesRepo.insert(trx, {
        id,
        name: input.name,
        trigger: input.trigger,
        group_name: input.groupName,
        action: JSON.stringify(input.action),
        enabled: input.enabled ? 1 : 0,
        created_at: now,
        updated_at: now,
      });
      await this.ctx.audit.append(trx, actor, {
        action: 'lifecycle.rule_created',
        subject: id,
        details: {
          name: input.name,
          trigger: input.trigger,
          groupName: input.groupName,
          action: input.action,
        },
      });
      return toRuleView((await lifecycleRulesRepo.byId(trx, id))!);
    });
  }

  /** Renames, enables or disables a rule; NOT_FOUND for an unknown id. */
  async update(actor: Actor, id: string, body: unknown): Promise<RuleView> {
    const patch = rulePatchSchema.parse(body);
    return this.ctx.store.transaction(async (trx) => {
      const row = await lifecycleRulesRepo.byId(trx, id);
      if (!row) throw new AppError('NOT_FOUND', `no lifecycle rule with id ${id}`);
      await lifecycleRulesRepo.update(trx, id, {
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.enabled !== undefined ? { enabled: patch.enabled ? 1 : 0 } : {}),
        updated_at: this.ctx.clock.now(),
      });
      await this.ctx.audit.append(trx, actor, {
        action: 'lifecycle.rule_changed',
        subject: id,
        details: { from: { name: row.name, enabled: row.enabled === 1 }, to: patch },
      });
      return toRuleView((await lifecycleRulesRepo.byId(trx, id))!);
    });
  }
}
