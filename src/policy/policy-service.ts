import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import { newId } from '../crypto/random.js';
import { AppError } from '../shared/errors.js';
import type { Db } from '../store/open-store.js';
import { groupsRepo } from '../store/repos/groups.js';
import { policiesRepo } from '../store/repos/policies.js';
import { policyExceptionsRepo } from '../store/repos/policy-exceptions.js';
import { usersRepo } from '../store/repos/users.js';
import { type Evaluation, evaluate } from './evaluate.js';
import { explain } from './explain.js';
import {
  builtInRules,
  type Policy,
  type PolicyInput,
  policyInputSchema,
  type Requirement,
} from './policy-model.js';
import { toPolicy, toPolicyException } from './policy-view.js';

/** The requirement for one decision, with its reasoning. */
export interface RequirementFor {
  requirement: Requirement;
  evaluation: Evaluation;
}

/** A policy's editable columns as the store keeps them. */
function policyColumns(input: PolicyInput) {
  return {
    name: input.name,
    target_kind: input.targetKind,
    target: input.target,
    rules: JSON.stringify(input.rules),
    priority: input.priority,
    override: input.override ? 1 : 0,
    enabled: input.enabled ? 1 : 0,
  };
}

/**
 * The policies last read by this instance, parsed, and the evaluations made from them for people
 * without exceptions (by client and groups). Only ever used after checking `fingerprint` against
 * the database, so it is never stale; it saves the parsing and evaluating, not the reads.
 */
interface PolicyMemo {
  /** Every policy's id and version, in name order. */
  fingerprint: string;
  policies: readonly Policy[];
  evaluations: Map<string, Evaluation>;
}

/** The most evaluations kept (distinct client and group sets); the memo starts over beyond. */
const MEMO_EVALUATIONS = 1_000;

function fingerprintOf(rows: ReadonlyArray<{ id: string; version: number }>): string {
  let out = '';
  for (const r of rows) out += `${r.id}:${r.version},`;
  return out;
}

/** One key per set of group names, as the evaluator compares them (case-insensitive, any order). */
function groupSetKey(groups: readonly string[]): string {
  return groups
    .map((g) => g.toLowerCase())
    .sort()
    .join('\u0000');
}

/** Freezes `value` and everything it holds: a shared evaluation cannot be changed by one caller. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Policies: CRUD (one transaction each, audited), and the one place every decision asks what is
 * required of a person for an application (`requirementFor`), evaluated by the pure evaluator.
 */
export class PolicyService {
  private memo: PolicyMemo = { fingerprint: '\u0000none', policies: [], evaluations: new Map() };

  constructor(private readonly ctx: Context) {}

  /** The baseline that applies where no default policy sets a rule (from the configuration). */
  get baseline(): Requirement {
    return builtInRules(this.ctx.config);
  }

  /** Every policy, by name. */
  async list(): Promise<Policy[]> {
    return (await policiesRepo.list(this.ctx.store.reader)).map(toPolicy);
  }

  /** One policy, or NOT_FOUND. */
  async get(id: string): Promise<Policy> {
    const row = await policiesRepo.byId(this.ctx.store.reader, id);
    if (!row) throw new AppError('NOT_FOUND', `no policy with id ${id}`);
    return toPolicy(row);
  }

  /** Creates a policy; CONFLICT when the name is taken. */
  async create(actor: Actor, body: unknown): Promise<Policy> {
    const input = policyInputSchema.parse(body);
    const now = this.ctx.clock.now();
    const id = newId();
    return this.ctx.store.transaction(async (trx) => {
      await this.nameFree(trx, input.name, null);
      await this.insertOnce(trx, {
        id,
        ...policyColumns(input),
        created_at: now,
        updated_at: now,
      });
      await this.ctx.audit.append(trx, actor, {
        action: 'policy.created',
        subject: id,
        details: { ...input },
      });
      return toPolicy((await policiesRepo.byId(trx, id))!);
    });
  }

  /** Replaces a policy's contents (PUT); the old and new values go into the audit event. */
  async update(actor: Actor, id: string, body: unknown): Promise<Policy> {
    const input = policyInputSchema.parse(body);
    const now = this.ctx.clock.now();
    return this.ctx.store.transaction(async (trx) => {
      const before = await policiesRepo.byId(trx, id);
      if (!before) throw new AppError('NOT_FOUND', `no policy with id ${id}`);
      await this.nameFree(trx, input.name, id);
      const changed = await policiesRepo.update(trx, id, before.version, {
        ...policyColumns(input),
        updated_at: now,
      });
      if (!changed) throw new AppError('CONFLICT', 'the policy changed meanwhile; read it again');
      const { id: _id, version: _v, createdAt: _c, updatedAt: _u, ...old } = toPolicy(before);
      await this.ctx.audit.append(trx, actor, {
        action: 'policy.updated',
        subject: id,
        details: { before: old, after: input },
      });
      return toPolicy((await policiesRepo.byId(trx, id))!);
    });
  }

  /** Deletes a policy; NOT_FOUND when there is none. */
  async remove(actor: Actor, id: string): Promise<void> {
    await this.ctx.store.transaction(async (trx) => {
      const before = await policiesRepo.byId(trx, id);
      if (!before || !(await policiesRepo.remove(trx, id))) {
        throw new AppError('NOT_FOUND', `no policy with id ${id}`);
      }
      await this.ctx.audit.append(trx, actor, {
        action: 'policy.deleted',
        subject: id,
        details: { name: before.name, targetKind: before.target_kind, target: before.target },
      });
    });
  }

  /**
   * What is required of a person signing in to `clientId` (null: no application, e.g. the
   * validation API). With `actor` it is a real decision: each exception that changed the
   * requirement is audited as used (`policy.exception_used`).
   */
  async requirementFor(userId: string, clientId: string | null, actor?: Actor): Promise<RequirementFor> {
    const evaluation = await this.evaluateIn(this.ctx.store.reader, userId, clientId);
    if (actor && evaluation.usedExceptions.length > 0) {
      await this.ctx.store.transaction((trx) => this.auditUses(trx, actor, userId, clientId, evaluation));
    }
    return { requirement: evaluation.requirement, evaluation };
  }

  /**
   * The evaluation for a person and client, read through `db` (a caller's transaction); nothing
   * audited. Every call reads the policies' ids and versions, the person's groups and their
   * exceptions, so nothing here is ever stale; only the parsing and the evaluation are reused (see
   * `PolicyMemo`). The result may be shared between calls: it is frozen, read it only.
   */
  async evaluateIn(db: Db, userId: string, clientId: string | null): Promise<Evaluation> {
    const now = this.ctx.clock.now();
    const groups = await groupsRepo.namesOf(db, userId);
    const [memo, exceptions] = await Promise.all([
      this.currentPolicies(db),
      policyExceptionsRepo.unexpiredFor(db, userId, groups, now),
    ]);
    const input = { userId, groups, clientId, policies: memo.policies, now, baseline: this.baseline };
    if (exceptions.length > 0) {
      return evaluate({ ...input, exceptions: exceptions.map(toPolicyException) });
    }
    // Without exceptions the evaluation depends on the person only through their groups (as in
    // `requirementsIn`), so people with the same groups share one.
    const key = `${clientId ?? ''}\u0000${groupSetKey(groups)}`;
    let evaluation = memo.evaluations.get(key);
    if (!evaluation) {
      evaluation = deepFreeze(evaluate({ ...input, exceptions: [] }));
      if (memo.evaluations.size >= MEMO_EVALUATIONS) memo.evaluations.clear();
      memo.evaluations.set(key, evaluation);
    }
    return evaluation;
  }

  /**
   * The policies as they are in `db` now: their ids and versions are read every time, their rows
   * only when those differ from the last ones parsed here (another instance's change included).
   */
  private async currentPolicies(db: Db): Promise<PolicyMemo> {
    const versions = await policiesRepo.versions(db);
    if (fingerprintOf(versions) === this.memo.fingerprint) return this.memo;
    const rows = await policiesRepo.list(db);
    // Named by the rows read: a change committed between the two reads is simply the newer state.
    const fingerprint = fingerprintOf(rows);
    if (fingerprint === this.memo.fingerprint) return this.memo;
    const memo = { fingerprint, policies: rows.map((r) => deepFreeze(toPolicy(r))), evaluations: new Map() };
    // Only committed contents are kept: a transaction may see its own change, which may roll
    // back, and a later change could then commit under the same id and version.
    if (!db.isTransaction) this.memo = memo;
    return memo;
  }

  /**
   * The requirements of many people (no application) read through `db` in a few queries: the
   * policies and unexpired exceptions once, the groups of all of them at once (an import opens
   * thousands of requirements in one batch). Nothing audited.
   */
  async requirementsIn(db: Db, userIds: readonly string[]): Promise<Map<string, Evaluation>> {
    const out = new Map<string, Evaluation>();
    if (userIds.length === 0) return out;
    const now = this.ctx.clock.now();
    const [policies, exceptions] = await Promise.all([
      policiesRepo.list(db),
      policyExceptionsRepo.unexpired(db, now),
    ]);
    const memberships = [];
    for (let i = 0; i < userIds.length; i += 1000)
      memberships.push(...(await groupsRepo.membershipsOf(db, userIds.slice(i, i + 1000))));
    const input = {
      clientId: null,
      policies: policies.map(toPolicy),
      exceptions: exceptions.map(toPolicyException),
      now,
      baseline: this.baseline,
    };
    const groupsOf = new Map<string, string[]>();
    for (const m of memberships) {
      const list = groupsOf.get(m.user_id);
      if (list) list.push(m.name);
      else groupsOf.set(m.user_id, [m.name]);
    }
    // evaluate is pure and depends on the person only through their groups and their own
    // exceptions: people with the same groups and none of their own share one evaluation
    // (an import batch of a thousand joiners has a handful of group sets).
    const ownExceptions = new Set(input.exceptions.flatMap((e) => (e.userId === null ? [] : [e.userId])));
    const shared = new Map<string, Evaluation>();
    for (const userId of userIds) {
      const groups = groupsOf.get(userId) ?? [];
      if (ownExceptions.has(userId)) {
        out.set(userId, evaluate({ ...input, userId, groups }));
        continue;
      }
      const key = groupSetKey(groups);
      const e = shared.get(key) ?? evaluate({ ...input, userId, groups });
      shared.set(key, e);
      out.set(userId, e);
    }
    return out;
  }

  /** Audits, inside `trx`, each exception that changed the requirement of a real decision (`policy.exception_used`). */
  async auditUses(
    trx: Db,
    actor: Actor,
    userId: string,
    clientId: string | null,
    evaluation: Evaluation,
  ): Promise<void> {
    for (const id of evaluation.usedExceptions) {
      await this.ctx.audit.append(trx, actor, {
        action: 'policy.exception_used',
        subject: userId,
        details: {
          exception: id,
          client: clientId,
          waived: evaluation.exceptions.find((e) => e.id === id)?.waives,
        },
      });
    }
  }

  /** The explanation for a person (by id or userName) and an optional client: no decision, nothing audited. */
  async explainFor(user: string, clientId: string | null) {
    const db = this.ctx.store.reader;
    const row = (await usersRepo.byId(db, user)) ?? (await usersRepo.byUsername(db, user));
    if (!row) throw new AppError('NOT_FOUND', `no person ${user}`);
    const { requirement, evaluation } = await this.requirementFor(row.id, clientId);
    return {
      userId: row.id,
      username: row.username,
      clientId,
      requirement,
      policies: evaluation.policies,
      exceptions: evaluation.exceptions.map((e) => ({
        ...e,
        expiresAt: new Date(e.expiresAt).toISOString(),
      })),
      fields: evaluation.fields,
      explanation: explain(evaluation),
    };
  }

  /** Inserts; a concurrent create of the same name loses on the unique index as CONFLICT, not a 500. */
  private async insertOnce(trx: Db, row: Parameters<typeof policiesRepo.insert>[1]): Promise<void> {
    try {
      await policiesRepo.insert(trx, row);
    } catch (err) {
      throw new AppError('CONFLICT', `a policy named ${row.name} exists`, { cause: String(err) });
    }
  }

  private async nameFree(trx: Db, name: string, exceptId: string | null): Promise<void> {
    const other = await policiesRepo.byName(trx, name);
    if (other && other.id !== exceptId) throw new AppError('CONFLICT', `a policy named ${name} exists`);
  }
}
