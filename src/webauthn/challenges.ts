import { constantTimeEqual } from '../crypto/constant-time.js';
import { lookupHash } from '../crypto/one-time-hash.js';
import { newId, secureRandomBytes } from '../crypto/random.js';
import type { Db } from '../store/open-store.js';
import { webauthnChallengesRepo } from '../store/repos/webauthn.js';
import type { WebauthnChallengeRow } from '../store/schema.js';

/** How long a ceremony may take (SECURITY.md: at most 10 minutes). */
export const CHALLENGE_TTL_MS = 5 * 60 * 1000;
/** 32 random bytes: twice the 16 SECURITY.md asks for. */
const CHALLENGE_BYTES = 32;

export type ChallengePurpose = WebauthnChallengeRow['purpose'];

/** A challenge as the browser gets it (the value) and as the page posts it back (the id). */
export interface IssuedChallenge {
  id: string;
  /** base64url, what `navigator.credentials` signs. */
  challenge: string;
}

/**
 * Issues a challenge for one ceremony, bound to what it was issued to (`interaction:<uid>`,
 * `account:<session uid>`). Only its hash is stored. Expired ones are swept on the way.
 */
export async function issueChallenge(
  db: Db,
  opts: { purpose: ChallengePurpose; binding: string; userId: string | null; now: number },
): Promise<IssuedChallenge> {
  const challenge = secureRandomBytes(CHALLENGE_BYTES).toString('base64url');
  const id = newId();
  await webauthnChallengesRepo.deleteExpired(db, opts.now - CHALLENGE_TTL_MS);
  await webauthnChallengesRepo.insert(db, {
    id,
    challenge_hash: lookupHash(challenge),
    purpose: opts.purpose,
    user_id: opts.userId,
    binding: opts.binding,
    created_at: opts.now,
    expires_at: opts.now + CHALLENGE_TTL_MS,
    used_at: null,
  });
  return { id, challenge };
}

/**
 * Spends a challenge (single use across instances: a conditional UPDATE) and returns the check
 * the verifier applies to the challenge the browser signed; undefined when it is unknown, used,
 * expired, or was issued for another purpose or binding.
 */
export async function consumeChallenge(
  db: Db,
  opts: { id: string; purpose: ChallengePurpose; binding: string; now: number },
): Promise<{ row: WebauthnChallengeRow; matches: (signed: string) => boolean } | undefined> {
  const row = await webauthnChallengesRepo.consume(db, opts.id, opts.purpose, opts.binding, opts.now);
  if (!row) return undefined;
  return { row, matches: (signed) => constantTimeEqual(lookupHash(signed), row.challenge_hash) };
}
