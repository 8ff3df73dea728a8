import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import { hashOneTimeSecret } from '../crypto/one-time-hash.js';
import { newId } from '../crypto/random.js';
import { AppError } from '../shared/errors.js';
import type { Db } from '../store/open-store.js';
import { authenticatorsRepo } from '../store/repos/authenticators.js';
import { oneTimeCodesRepo } from '../store/repos/one-time-codes.js';
import { usersRepo } from '../store/repos/users.js';
import type { UserRow } from '../store/schema.js';
import type { AuthenticatorKind, AuthenticatorState, Issued } from './authenticator-type.js';
import { changeState } from './change-state.js';
import { qrCodeDataUri } from './qr-code.js';
import { issuePolicy, parseIssueRequest } from './registry.js';

/** The 201 answer: what identifies the new authenticator, plus what is shown this once. */
export type IssuedAuthenticator = {
  id: string;
  type: AuthenticatorKind;
  state: AuthenticatorState;
} & Record<string, unknown>;

/** The AAD that binds a sealed seed to its row; the validation service opens it with the same. */
export function secretAad(authenticatorId: string): string {
  return `authenticator:${authenticatorId}`;
}

/**
 * Issues an authenticator to an active person, in one transaction with its audit event:
 * validate the request, check the person, let the type make its material, retire the
 * previous set where the type allows only one, store (seed sealed, codes hashed), audit.
 */
export async function issueAuthenticator(
  ctx: Context,
  actor: Actor,
  userId: string,
  body: unknown,
): Promise<IssuedAuthenticator> {
  // Input is refused before any transaction opens: a malformed request changes nothing.
  const request = parseIssueRequest(body);
  return ctx.store.transaction((trx) => issueParsed(ctx, trx, actor, userId, request));
}

/**
 * The same, inside the caller's transaction (a recovery approval issues its pass with the
 * decision, so both commit or neither does).
 */
export function issueAuthenticatorIn(
  ctx: Context,
  trx: Db,
  actor: Actor,
  userId: string,
  body: unknown,
): Promise<IssuedAuthenticator> {
  return issueParsed(ctx, trx, actor, userId, parseIssueRequest(body));
}

async function issueParsed(
  ctx: Context,
  trx: Db,
  actor: Actor,
  userId: string,
  request: ReturnType<typeof parseIssueRequest>,
): Promise<IssuedAuthenticator> {
  const kind = request.type.kind;
  const policy = issuePolicy(kind);
  const now = ctx.clock.now();
  const person = await activePerson(ctx, trx, userId);
  const material = request.type.issue(request.options, {
    now,
    issuer: ctx.config.orgName,
    account: person.username,
    accessPassMinutes: ctx.config.accessPassMinutes,
  });
  const replaced = policy.replacesPrevious ? await retirePrevious(ctx, trx, actor, userId, kind) : [];
  const id = newId();
  const state = policy.initialState;
  await store(ctx, trx, { id, userId, kind, state, name: request.name, now, material });
  await ctx.audit.append(trx, actor, {
    action: 'authenticator.issued',
    subject: userId,
    details: { authenticatorId: id, type: kind, state, ...(replaced.length ? { replaced } : {}) },
  });
  const reveal = { ...material.reveal };
  // The QR code is made before commit: if it fails, nothing is stored whose seed nobody saw.
  if (typeof reveal.otpauthUri === 'string') reveal.qrCode = await qrCodeDataUri(reveal.otpauthUri);
  return { id, type: kind, state, ...reveal };
}

/**
 * The person, who must be active, with their row locked until commit (PostgreSQL): a leaver
 * running at the same time waits for this issue and then revokes what it made, or has already
 * committed and the issue is refused. The leaver takes the same lock first (lifecycle/leaver.ts).
 */
async function activePerson(ctx: Context, trx: Db, userId: string): Promise<UserRow> {
  const person = await usersRepo.byIdForUpdate(trx, userId, ctx.store.caps.rowLocks);
  if (!person) throw new AppError('NOT_FOUND', `no person with id ${userId}`);
  if (person.status !== 'active') {
    throw new AppError('INVALID_STATE', `a ${person.status} person cannot be issued an authenticator`);
  }
  return person;
}

/** Revokes the person's live authenticators of `kind` (reason "replaced"); returns their ids. */
async function retirePrevious(
  ctx: Context,
  trx: Db,
  actor: Actor,
  userId: string,
  kind: AuthenticatorKind,
): Promise<string[]> {
  const previous = await authenticatorsRepo.liveOfType(trx, userId, kind);
  for (const row of previous) await changeState(ctx, trx, actor, row, 'revoke', 'replaced');
  return previous.map((r) => r.id);
}

interface NewAuthenticator {
  id: string;
  userId: string;
  kind: AuthenticatorKind;
  state: 'pending' | 'active';
  name: string | null;
  now: number;
  material: Issued;
}

async function store(ctx: Context, trx: Db, a: NewAuthenticator): Promise<void> {
  const { material } = a;
  await authenticatorsRepo.insert(trx, {
    id: a.id,
    user_id: a.userId,
    type: a.kind,
    state: a.state,
    name: a.name,
    serial: null,
    secret_enc: material.secret ? ctx.keyring.encrypt(material.secret, secretAad(a.id)) : null,
    params: JSON.stringify(material.params),
    counter: material.counter,
    created_at: a.now,
    updated_at: a.now,
    activated_at: a.state === 'active' ? a.now : null,
    last_used_at: null,
    expires_at: material.expiresAt,
    state_reason: null,
  });
  await oneTimeCodesRepo.insertMany(
    trx,
    material.oneTimeCodes.map((code) => ({
      id: newId(),
      authenticator_id: a.id,
      user_id: a.userId,
      code_hash: hashOneTimeSecret(code),
      used_at: null,
      created_at: a.now,
    })),
  );
}
