import type { Actor } from '../audit/audit-log.js';
import { AppError } from '../shared/errors.js';
import type { Db } from '../store/open-store.js';
import { authenticatorsRepo } from '../store/repos/authenticators.js';
import { enrolmentRequirementsRepo } from '../store/repos/enrolment-requirements.js';
import { groupsRepo } from '../store/repos/groups.js';
import { usersRepo } from '../store/repos/users.js';
import type { EnrolmentRequirementRow } from '../store/schema.js';
import { evaluateRules } from './evaluate-rules.js';
import { holdsSecondFactor } from './factor-fit.js';
import { composeNotice, type Notice } from './notices.js';
import { type EngineDeps, type Opening, openRequirements, queueNotices } from './open-requirements.js';
import type { Rule } from './rule.js';
import { loadRules } from './rule-service.js';

/** People per transaction. */
const BATCH = 500;

/** What a bulk invitation did, by person. */
export interface GroupInviteResult {
  group: string;
  members: number;
  /** Invitations sent (each a new single-use link). */
  invited: number;
  /** Of those, people who had no open requirement and got one now. */
  requirementsOpened: number;
  alreadyEnrolled: number;
  noEmail: number;
  inactive: number;
  /** No rule asks anything of them, so there is nothing to invite them to. */
  notRequired: number;
}

/**
 * Invites everyone in a group who has not enrolled a second factor (a team onboarded at once):
 * an open requirement gets a fresh invitation link; someone without one gets the requirement
 * the joiner rules give their groups, with its invitation. In batches of 500, each one
 * transaction; one summary audit event besides each requirement's own.
 */
export async function inviteGroup(
  deps: EngineDeps,
  actor: Actor,
  groupName: string,
): Promise<GroupInviteResult> {
  const { store } = deps.ctx;
  const group = await groupsRepo.byName(store.db, groupName);
  if (!group) throw new AppError('NOT_FOUND', `no group named ${groupName}`);
  const memberIds = (await groupsRepo.liveMembers(store.db, group.id)).map((m) => m.id);
  const result: GroupInviteResult = {
    group: group.name,
    members: memberIds.length,
    invited: 0,
    requirementsOpened: 0,
    alreadyEnrolled: 0,
    noEmail: 0,
    inactive: 0,
    notRequired: 0,
  };
  for (let i = 0; i < memberIds.length; i += BATCH) {
    await store.transaction((trx) => inviteBatch(trx, deps, actor, memberIds.slice(i, i + BATCH), result));
  }
  await store.transaction((trx) =>
    deps.ctx.audit.append(trx, actor, {
      action: 'lifecycle.group_invited',
      subject: group.id,
      details: { ...result },
    }),
  );
  return result;
}

async function inviteBatch(
  trx: Db,
  deps: EngineDeps,
  actor: Actor,
  ids: readonly string[],
  result: GroupInviteResult,
): Promise<void> {
  const now = deps.ctx.clock.now();
  const open = new Map<string, EnrolmentRequirementRow>();
  // The earliest-opened open requirement of each person is the one the link serves.
  for (const r of await enrolmentRequirementsRepo.openForUsers(trx, ids))
    if (!open.has(r.user_id)) open.set(r.user_id, r);
  let rules: readonly Rule[] | undefined;
  const notices: Notice[] = [];
  const openings: Opening[] = [];
  for (const person of await usersRepo.byIds(trx, ids)) {
    if (person.status !== 'active') {
      result.inactive++;
      continue;
    }
    if (holdsSecondFactor(await authenticatorsRepo.forUser(trx, person.id))) {
      result.alreadyEnrolled++;
      continue;
    }
    if (!person.email) {
      result.noEmail++;
      continue;
    }
    const req = open.get(person.id);
    if (req) {
      notices.push(composeNotice(deps.mail.env, person, req, { reminder: false, holdsFactor: false, now })!);
      continue;
    }
    rules ??= await loadRules(trx, ['joiner', 'mover']);
    const plan = evaluateRules(
      { kind: 'joined', groups: await groupsRepo.namesOf(trx, person.id) },
      rules,
    ).requirement;
    if (plan) openings.push({ person, plan, factors: [] });
    else result.notRequired++;
  }
  await queueNotices(trx, deps, notices);
  await openRequirements(trx, deps, actor, openings);
  await deps.ctx.audit.append(
    trx,
    actor,
    ...notices.map((n) => ({
      action: 'lifecycle.invitation_sent',
      subject: n.invitation!.user_id,
      details: { requirementId: n.invitation!.requirement_id, invitationId: n.invitation!.id },
    })),
  );
  result.invited += notices.length + openings.length;
  result.requirementsOpened += openings.length;
}
