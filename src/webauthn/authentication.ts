import { verifyAuthenticationResponse } from '@simplewebauthn/server';
import type { Actor } from '../audit/audit-log.js';
import { type PasskeyStrength, passkeyStrength } from '../authenticators/types/webauthn.js';
import type { Context } from '../context.js';
import { authenticatorsRepo } from '../store/repos/authenticators.js';
import { usersRepo } from '../store/repos/users.js';
import { type CredentialWithState, webauthnCredentialsRepo } from '../store/repos/webauthn.js';
import { retryAfterSeconds } from '../verification/backoff.js';
import { failureCounter } from '../verification/failure-counter.js';
import { consumeChallenge } from './challenges.js';
import { parseAuthenticationResponse } from './passkey-response.js';
import type { RelyingParty } from './relying-party.js';

/** What signing in with a passkey needs. */
export interface AuthenticationInput {
  binding: string;
  challengeId: string;
  /** The JSON text of the browser's `startAuthentication` result. */
  response: unknown;
  /** The person the passkey must belong to (second factor, re-verification); absent for a passkey-first sign-in. */
  userId?: string;
  /** Passkey-first sign-in: the passkey must be two factors on its own (UV). */
  requireUserVerification: boolean;
}

/** Why a passkey was refused (audited; `counter_regressed` as its own event). */
export type AuthenticationFailure =
  | 'invalid_response'
  | 'challenge'
  | 'unknown_credential'
  | 'not_yours'
  | 'inactive'
  | 'throttled'
  | 'bad_signature'
  | 'user_verification'
  | 'counter_regressed'
  | 'backup_eligibility_changed'
  | 'replayed';

export type AuthenticationResult =
  | { ok: true; userId: string; authenticatorId: string; strength: PasskeyStrength }
  | { ok: false; reason: AuthenticationFailure; throttledFor?: number };

/**
 * The authentication ceremony's second half: spend the challenge, find the credential, verify
 * the assertion with @simplewebauthn/server (`verified === true`), refuse a signature counter
 * that went backwards (0/0 allowed: synced passkeys do not count), then record the use by
 * compare-and-set on the counter. Failures with a known credential count on its owner's one
 * failure counter; a throttled person is refused before any verification.
 */
export async function finishAuthentication(
  ctx: Context,
  rp: RelyingParty,
  actor: Actor,
  input: AuthenticationInput,
): Promise<AuthenticationResult> {
  const now = ctx.clock.now();
  const db = ctx.store.db;
  const refuse = async (
    reason: AuthenticationFailure,
    subject: string | null,
    counted?: CredentialWithState,
    details: Record<string, unknown> = {},
  ): Promise<AuthenticationResult> => {
    await ctx.store.transaction(async (trx) => {
      const tally = counted
        ? await failureCounter.fail(trx, counted.user_id, now, ctx.config.throttleFreeFailures)
        : null;
      await ctx.audit.append(trx, actor, {
        action:
          reason === 'counter_regressed' ? 'webauthn.counter_regressed' : 'webauthn.authentication_failed',
        subject: counted?.user_id ?? subject,
        outcome: 'failure',
        details: {
          reason,
          ...(counted ? { authenticatorId: counted.authenticator_id } : {}),
          ...(tally ? { failures: tally.failures } : {}),
          ...details,
        },
      });
    });
    return { ok: false, reason };
  };
  const expected = input.userId ?? null;

  const response = parseAuthenticationResponse(input.response);
  if (!response) return refuse('invalid_response', expected);
  const challenge = await consumeChallenge(db, {
    id: input.challengeId,
    purpose: 'authenticate',
    binding: input.binding,
    now,
  });
  if (!challenge || (challenge.row.user_id !== null && challenge.row.user_id !== expected)) {
    return refuse('challenge', expected);
  }
  const cred = await webauthnCredentialsRepo.byCredentialId(db, response.id);
  if (!cred) return refuse('unknown_credential', expected);
  if (expected !== null && cred.user_id !== expected) return refuse('not_yours', expected);
  const user = await usersRepo.byId(db, cred.user_id);
  if (user?.status !== 'active' || (cred.state !== 'active' && cred.state !== 'pending')) {
    return refuse('inactive', cred.user_id);
  }
  if (failureCounter.isLocked(user.locked_until, now)) {
    return { ok: false, reason: 'throttled', throttledFor: retryAfterSeconds(user.locked_until!, now) };
  }
  const handle = response.response.userHandle;
  if (handle !== undefined && handle !== cred.user_handle) return refuse('invalid_response', null, cred);

  let verification: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge.matches,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      // The counter is checked below, after the signature, so a regression is known to be genuine.
      credential: {
        id: cred.credential_id,
        publicKey: Buffer.from(cred.public_key, 'base64url'),
        counter: 0,
      },
      requireUserVerification: false,
    });
  } catch (err) {
    ctx.logger.info({ err: (err as Error).message }, 'passkey assertion refused');
    return refuse('invalid_response', null, cred);
  }
  if (verification.verified !== true) return refuse('bad_signature', null, cred);
  const info = verification.authenticationInfo;
  if (input.requireUserVerification && !info.userVerified) return refuse('user_verification', null, cred);
  // Backup eligibility is fixed when a credential is made (WebAuthn L3 §7.2), and the level rests
  // on it (device-bound: AAL3): a credential whose BE flag changed is refused, never reclassified.
  const eligibleNow = info.credentialDeviceType === 'multiDevice';
  if (eligibleNow !== (cred.backup_eligible === 1)) {
    return refuse('backup_eligibility_changed', null, cred, {
      stored: cred.backup_eligible === 1,
      presented: eligibleNow,
    });
  }
  const stored = cred.sign_count;
  const presented = info.newCounter;
  if ((presented > 0 || stored > 0) && presented <= stored) {
    return refuse('counter_regressed', null, cred, { stored, presented });
  }

  const recorded = await ctx.store.transaction(async (trx) => {
    const moved = await webauthnCredentialsRepo.recordUse(
      trx,
      cred.authenticator_id,
      stored,
      presented,
      info.credentialBackedUp ? 1 : 0,
    );
    if (!moved) return false;
    await authenticatorsRepo.markUsed(trx, cred.authenticator_id, now);
    await failureCounter.succeed(trx, cred.user_id);
    await ctx.audit.append(trx, actor, {
      action: 'webauthn.authenticated',
      subject: cred.user_id,
      details: {
        authenticatorId: cred.authenticator_id,
        userVerified: info.userVerified,
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
      },
    });
    return true;
  });
  if (!recorded) return refuse('replayed', null, cred);
  return {
    ok: true,
    userId: cred.user_id,
    authenticatorId: cred.authenticator_id,
    strength: passkeyStrength({
      backupEligible: cred.backup_eligible === 1,
      userVerified: info.userVerified,
    }),
  };
}
