import type { Insertable } from 'kysely';
import type { Db } from '../open-store.js';
import type {
  AuthenticatorRow,
  WebauthnChallengeRow,
  WebauthnChallengesTable,
  WebauthnCredentialRow,
  WebauthnCredentialsTable,
} from '../schema.js';

/** A credential with the state of the authenticator it belongs to. */
export type CredentialWithState = WebauthnCredentialRow & {
  state: AuthenticatorRow['state'];
  name: AuthenticatorRow['name'];
};

/** Passkey credentials (the public half; `credential_id` is unique across everyone). */
export const webauthnCredentialsRepo = {
  async insert(db: Db, row: Insertable<WebauthnCredentialsTable>): Promise<void> {
    await db.insertInto('webauthn_credentials').values(row).execute();
  },

  /** The credential with this id, whoever holds it, with its authenticator's state. */
  byCredentialId(db: Db, credentialId: string): Promise<CredentialWithState | undefined> {
    return db
      .selectFrom('webauthn_credentials as w')
      .innerJoin('authenticators as a', 'a.id', 'w.authenticator_id')
      .selectAll('w')
      .select(['a.state', 'a.name'])
      .where('w.credential_id', '=', credentialId)
      .executeTakeFirst();
  },

  /** A person's credentials whose authenticator may be used now (pending or active). */
  usableForUser(db: Db, userId: string): Promise<CredentialWithState[]> {
    return db
      .selectFrom('webauthn_credentials as w')
      .innerJoin('authenticators as a', 'a.id', 'w.authenticator_id')
      .selectAll('w')
      .select(['a.state', 'a.name'])
      .where('w.user_id', '=', userId)
      .where('a.user_id', '=', userId)
      .where('a.state', 'in', ['pending', 'active'])
      .orderBy('w.created_at')
      .execute();
  },

  /** The credentials of these `webauthn` authenticators (for the read views). */
  byAuthenticatorIds(db: Db, authenticatorIds: readonly string[]): Promise<WebauthnCredentialRow[]> {
    if (authenticatorIds.length === 0) return Promise.resolve([]);
    return db
      .selectFrom('webauthn_credentials')
      .selectAll()
      .where('authenticator_id', 'in', authenticatorIds)
      .execute();
  },

  /** Every credential id a person holds (live or not), so a browser does not register one twice. */
  async idsForUser(db: Db, userId: string): Promise<string[]> {
    const rows = await db
      .selectFrom('webauthn_credentials')
      .select('credential_id')
      .where('user_id', '=', userId)
      .execute();
    return rows.map((r) => r.credential_id);
  },

  /**
   * Records a use: moves the signature counter from exactly what was read to `next`
   * (compare-and-set, so two uses of one reading cannot both pass) and the backup state.
   */
  async recordUse(
    db: Db,
    authenticatorId: string,
    from: number,
    next: number,
    backupState: number,
  ): Promise<boolean> {
    const r = await db
      .updateTable('webauthn_credentials')
      .set({ sign_count: next, backup_state: backupState })
      .where('authenticator_id', '=', authenticatorId)
      .where('sign_count', '=', from)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },
};

/** WebAuthn ceremony challenges. Consuming is one conditional UPDATE: single use across instances. */
export const webauthnChallengesRepo = {
  async insert(db: Db, row: Insertable<WebauthnChallengesTable>): Promise<void> {
    await db.insertInto('webauthn_challenges').values(row).execute();
  },

  /**
   * Spends the challenge if it is unused, unexpired and was issued for this purpose and binding;
   * returns it to the one caller whose update matched.
   */
  async consume(
    db: Db,
    id: string,
    purpose: WebauthnChallengeRow['purpose'],
    binding: string,
    now: number,
  ): Promise<WebauthnChallengeRow | undefined> {
    const r = await db
      .updateTable('webauthn_challenges')
      .set({ used_at: now })
      .where('id', '=', id)
      .where('purpose', '=', purpose)
      .where('binding', '=', binding)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return undefined;
    return db.selectFrom('webauthn_challenges').selectAll().where('id', '=', id).executeTakeFirst();
  },

  /** Removes challenges that expired before `before` (housekeeping when new ones are made). */
  async deleteExpired(db: Db, before: number): Promise<void> {
    await db.deleteFrom('webauthn_challenges').where('expires_at', '<', before).execute();
  },
};
