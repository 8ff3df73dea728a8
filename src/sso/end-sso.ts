import type { Db } from '../store/open-store.js';
import { oidcModelsRepo } from '../store/repos/oidc-models.js';

/**
 * Ends everything SSO holds for a person: sessions, interactions, grants, codes, access and
 * refresh tokens. Runs inside the caller's transaction, so a leaver's deactivation and the end
 * of their sessions commit together. Returns how many artifacts were removed.
 */
export function endSsoFor(trx: Db, userId: string): Promise<number> {
  return oidcModelsRepo.revokeAccount(trx, userId);
}
