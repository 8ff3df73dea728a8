import { type Kysely, type Migration, PostgresAdapter, sql } from 'kysely';

/**
 * Second factors whose owner, kind, state or first activation an UPDATE actually changed.
 * `UPDATE OF` fires for every column in the SET list, changed or not, so without this every
 * validation (which sets `state` and `activated_at` to what they already are) re-tallied its
 * person: two statements and a write of `metrics_enrolment` per accept, for the same result.
 */
const CHANGED = (distinct: string) =>
  `(OLD.user_id ${distinct} NEW.user_id OR OLD.type ${distinct} NEW.type OR OLD.state ${distinct} NEW.state OR OLD.activated_at ${distinct} NEW.activated_at)`;

/** Migration 0011's condition of `metrics_auth_upd_new`, written out here so this file never changes. */
const AUTH_UPD_NEW_WHEN = `NEW.user_id IS NOT NULL AND (NEW.type IN ('totp', 'hotp', 'webauthn') OR OLD.type IN ('totp', 'hotp', 'webauthn'))`;

/**
 * The per-person enrolment tally (`metrics_enrolment`) is re-computed on an authenticator update
 * only when something it is made of changed. Same body, narrower trigger condition; the result
 * of every update is the same as before.
 */
export const migration0013: Migration = {
  async up(db: Kysely<unknown>) {
    if (db.getExecutor().adapter instanceof PostgresAdapter) {
      await sql.raw('DROP TRIGGER metrics_auth_upd_new ON authenticators').execute(db);
      await sql
        .raw(
          `CREATE TRIGGER metrics_auth_upd_new AFTER UPDATE OF user_id, type, state, activated_at
           ON authenticators FOR EACH ROW
           WHEN (${AUTH_UPD_NEW_WHEN} AND ${CHANGED('IS DISTINCT FROM')})
           EXECUTE FUNCTION metrics_auth_upd_new()`,
        )
        .execute(db);
      return;
    }
    // SQLite keeps a trigger's body in its definition: the same definition, with the condition
    // narrowed (the body is everything from the first BEGIN, which the condition never holds).
    const row = await sql<{ sql: string }>`
      SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'metrics_auth_upd_new'`.execute(db);
    const definition = row.rows[0]?.sql;
    const at = definition?.search(/\bBEGIN\b/) ?? -1;
    if (!definition || at < 0) throw new Error('migration 0013: trigger metrics_auth_upd_new not found');
    const narrowed = `${definition.slice(0, at)} AND ${CHANGED('IS NOT')}\n     ${definition.slice(at)}`;
    await sql.raw('DROP TRIGGER metrics_auth_upd_new').execute(db);
    await sql.raw(narrowed).execute(db);
  },
};
