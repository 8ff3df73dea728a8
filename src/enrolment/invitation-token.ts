import { lookupHash } from '../crypto/one-time-hash.js';
import { newId, secureRandomBytes } from '../crypto/random.js';
import type { EnrolmentInvitationRow } from '../store/schema.js';

/** A new invitation: the row to store (only the token's lookupHash) and the token for the link. */
export interface MintedInvitation {
  row: EnrolmentInvitationRow;
  /** 32 random bytes, base64url: it goes into the mail's link and nowhere else. */
  token: string;
}

/** Mints a single-use enrolment link for a requirement; it expires with the requirement's deadline. */
export function mintInvitation(
  requirementId: string,
  userId: string,
  expiresAt: number,
  now: number,
): MintedInvitation {
  const token = secureRandomBytes(32).toString('base64url');
  return {
    token,
    row: {
      id: newId(),
      user_id: userId,
      requirement_id: requirementId,
      token_hash: lookupHash(token),
      created_at: now,
      expires_at: expiresAt,
      used_at: null,
      authenticator_id: null,
    },
  };
}

/** Whether a string can be a token of ours (before any lookup: 43 base64url characters). */
export function isTokenShaped(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token);
}
