import type { Db } from '../open-store.js';
import type { EnrolmentInvitationRow } from '../schema.js';

/** Rows per multi-row insert (8 columns each). */
const INSERT_BATCH = 500;

/**
 * Enrolment invitations: single-use links found by the lookupHash of their token. Using one and
 * attaching its pending authenticator are conditional UPDATEs on `used_at IS NULL`, so a link
 * completes one enrolment across every instance.
 */
export const enrolmentInvitationsRepo = {
  async insertMany(db: Db, rows: readonly EnrolmentInvitationRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += INSERT_BATCH) {
      await db
        .insertInto('enrolment_invitations')
        .values(rows.slice(i, i + INSERT_BATCH))
        .execute();
    }
  },

  byTokenHash(db: Db, tokenHash: string): Promise<EnrolmentInvitationRow | undefined> {
    return db
      .selectFrom('enrolment_invitations')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
  },

  /** Records the pending authenticator issued through the link, while the link is unused. */
  async attachAuthenticator(db: Db, id: string, authenticatorId: string): Promise<boolean> {
    const r = await db
      .updateTable('enrolment_invitations')
      .set({ authenticator_id: authenticatorId })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /** Unused links of a requirement expire at its (moved) deadline; returns how many. */
  async expireAt(db: Db, requirementId: string, expiresAt: number): Promise<number> {
    const r = await db
      .updateTable('enrolment_invitations')
      .set({ expires_at: expiresAt })
      .where('requirement_id', '=', requirementId)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  },

  /** Uses the link up: true for exactly one caller, ever. */
  async consume(db: Db, id: string, now: number): Promise<boolean> {
    const r = await db
      .updateTable('enrolment_invitations')
      .set({ used_at: now })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },
};
