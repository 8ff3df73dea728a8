import { type Kysely, type Migration, sql } from 'kysely';

/** The lookup columns of `oidc_models` that most rows leave empty (a client-credentials token has none). */
const PARTIAL = [
  ['oidc_models_grant', 'grant_id'],
  ['oidc_models_uid', 'uid'],
  ['oidc_models_user_code', 'user_code'],
  ['oidc_models_account', 'account_id'],
] as const;

/**
 * Indexes only the rows that have a value: every lookup on these columns is an equality (`= ?`),
 * which both dialects know implies `IS NOT NULL`, so the same queries use them; a row without
 * a grant, uid, user code or person (every client-credentials token) no longer writes four
 * index entries. Same names, same results.
 */
export const migration0014: Migration = {
  async up(db: Kysely<unknown>) {
    for (const [name, column] of PARTIAL) {
      await sql.raw(`DROP INDEX ${name}`).execute(db);
      await sql
        .raw(`CREATE INDEX ${name} ON oidc_models (${column}) WHERE ${column} IS NOT NULL`)
        .execute(db);
    }
  },
};
