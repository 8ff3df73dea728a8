import { verifyRegistrationResponse } from '@simplewebauthn/server';
import type { Actor } from '../audit/audit-log.js';
import { type PasskeyStrength, passkeyStrength } from '../authenticators/types/webauthn.js';
import type { Context } from '../context.js';
import { newId } from '../crypto/random.js';
import { markMetIfSatisfied } from '../lifecycle/mark-met.js';
import type { Db } from '../store/open-store.js';
import { authenticatorsRepo } from '../store/repos/authenticators.js';
import { usersRepo } from '../store/repos/users.js';
import { webauthnCredentialsRepo } from '../store/repos/webauthn.js';
import { consumeChallenge } from './challenges.js';
import { parseRegistrationResponse } from './passkey-response.js';
import type { RelyingParty } from './relying-party.js';

/** What registering needs: the page's answer, the challenge it answers, and whose passkey it is. */
export interface RegistrationInput {
  userId: string;
  binding: string;
  challengeId: string;
  /** The JSON text of the browser's `startRegistration` result. */
  response: unknown;
  name: string;
  /** Runs inside the same transaction once the passkey is stored (audit, mail of the caller). */
  alsoInTransaction?: (trx: Db, authenticatorId: string) => Promise<void>;
}

/** Why a registration was refused (audited as `webauthn.registration_failed`). */
export type RegistrationFailure =
  | 'invalid_response'
  | 'challenge'
  | 'not_verified'
  | 'credential_taken'
  | 'inactive';

export type RegistrationResult =
  | { ok: true; authenticatorId: string; strength: PasskeyStrength }
  | { ok: false; reason: RegistrationFailure };

/**
 * The registration ceremony's second half: spend the challenge, verify the attestation with
 * @simplewebauthn/server (`verified === true`, nothing less), and store the credential with a
 * new active `webauthn` authenticator in one transaction with its audit event. A credential id
 * already bound to anyone is refused (and the database's UNIQUE constraint backs that up).
 */
export async function finishRegistration(
  ctx: Context,
  rp: RelyingParty,
  actor: Actor,
  input: RegistrationInput,
): Promise<RegistrationResult> {
  const now = ctx.clock.now();
  const fail = async (reason: RegistrationFailure, details: Record<string, unknown> = {}) => {
    await ctx.store.transaction((trx) =>
      ctx.audit.append(trx, actor, {
        action: 'webauthn.registration_failed',
        subject: input.userId,
        outcome: 'failure',
        details: { reason, ...details },
      }),
    );
    return { ok: false as const, reason };
  };
  const response = parseRegistrationResponse(input.response);
  if (!response) return fail('invalid_response');
  const challenge = await consumeChallenge(ctx.store.db, {
    id: input.challengeId,
    purpose: 'register',
    binding: input.binding,
    now,
  });
  if (!challenge || challenge.row.user_id !== input.userId) return fail('challenge');
  let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verification = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge.matches,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      // User verification is recorded, not required: it decides what the passkey is worth.
      requireUserVerification: false,
    });
  } catch (err) {
    ctx.logger.info({ err: (err as Error).message }, 'passkey registration response refused');
    return fail('invalid_response');
  }
  if (verification.verified !== true) return fail('not_verified');
  const info = verification.registrationInfo;
  const credentialId = info.credential.id;
  if (await webauthnCredentialsRepo.byCredentialId(ctx.store.db, credentialId)) {
    return fail('credential_taken');
  }
  const backupEligible = info.credentialDeviceType === 'multiDevice';
  const authenticatorId = newId();
  try {
    const stored = await ctx.store.transaction(async (trx) => {
      // Locked like any binding (see authenticators/issue-authenticator.ts): a racing leaver waits or wins.
      const person = await usersRepo.byIdForUpdate(trx, input.userId, ctx.store.caps.rowLocks);
      if (person?.status !== 'active') return false;
      await authenticatorsRepo.insert(trx, {
        id: authenticatorId,
        user_id: input.userId,
        type: 'webauthn',
        state: 'active',
        name: input.name,
        serial: null,
        secret_enc: null,
        params: JSON.stringify({ deviceType: info.credentialDeviceType }),
        counter: null,
        created_at: now,
        updated_at: now,
        activated_at: now,
        last_used_at: now,
        expires_at: null,
        state_reason: null,
      });
      await webauthnCredentialsRepo.insert(trx, {
        authenticator_id: authenticatorId,
        user_id: input.userId,
        credential_id: credentialId,
        public_key: Buffer.from(info.credential.publicKey).toString('base64url'),
        sign_count: info.credential.counter,
        aaguid: info.aaguid,
        transports: JSON.stringify(info.credential.transports ?? response.response.transports ?? []),
        backup_eligible: backupEligible ? 1 : 0,
        backup_state: info.credentialBackedUp ? 1 : 0,
        device_type: info.credentialDeviceType,
        user_handle: userHandleOf(ctx, input.userId),
        user_verified: info.userVerified ? 1 : 0,
        created_at: now,
      });
      await ctx.audit.append(trx, actor, {
        action: 'authenticator.issued',
        subject: input.userId,
        details: {
          authenticatorId,
          type: 'webauthn',
          state: 'active',
          deviceType: info.credentialDeviceType,
          backupEligible,
          userVerified: info.userVerified,
          aaguid: info.aaguid,
        },
      });
      // A new passkey may meet an open enrolment requirement (a mover's phishing-resistant one).
      await markMetIfSatisfied(trx, ctx, input.userId);
      await input.alsoInTransaction?.(trx, authenticatorId);
      return true;
    });
    if (!stored) return fail('inactive');
  } catch (err) {
    // Another registration of the same credential won the race: the UNIQUE constraint refused this one.
    if (await webauthnCredentialsRepo.byCredentialId(ctx.store.db, credentialId)) {
      return fail('credential_taken');
    }
    throw err;
  }
  return {
    ok: true,
    authenticatorId,
    strength: passkeyStrength({ backupEligible, userVerified: info.userVerified }),
  };
}

/**
 * The WebAuthn user handle of a person: stable (so an authenticator replaces its own earlier
 * passkey for us instead of piling them up) and opaque (an HMAC, not the person's id).
 */
export function userHandleOf(ctx: Pick<Context, 'keyring'>, userId: string): string {
  return ctx.keyring.mac('webauthn-user-handle', userId);
}
