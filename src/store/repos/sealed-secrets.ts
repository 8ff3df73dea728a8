import { sql } from 'kysely';
import type { Db } from '../open-store.js';

/** The prefix every value sealed under data key `kid` starts with (see crypto/envelope.ts). */
function sealedPrefix(kid: string): string {
  return `v1.${kid}.`;
}

/**
 * The stored secrets as `keys rotate` sees them: sealed values, by row, whatever their type.
 * Key ids may hold `_`, a LIKE wildcard: prefix tests use substr, containment an escaped LIKE.
 */
export const sealedSecretsRepo = {
  /** Up to `limit` authenticators after `afterId` (by id) whose secret is sealed under another key than `kid`. */
  notUnder(db: Db, kid: string, afterId: string, limit: number) {
    const prefix = sealedPrefix(kid);
    return db
      .selectFrom('authenticators')
      .select(['id', 'secret_enc'])
      .where('id', '>', afterId)
      .where('secret_enc', 'is not', null)
      .where(sql<string>`substr(secret_enc, 1, ${prefix.length})`, '<>', prefix)
      .orderBy('id')
      .limit(limit)
      .$narrowType<{ secret_enc: string }>()
      .execute();
  },

  /**
   * Replaces a sealed secret only if it is still `expected` (compare-and-set), so a change made
   * meanwhile (re-enrolment, revocation) is never overwritten. False when the row moved on.
   */
  async replace(db: Db, id: string, expected: string, sealed: string): Promise<boolean> {
    const r = await db
      .updateTable('authenticators')
      .set({ secret_enc: sealed })
      .where('id', '=', id)
      .where('secret_enc', '=', expected)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  },

  /**
   * Whether any stored value still names data key `kid`: sealed columns of every table, and job
   * payloads that embed sealed values. Over-matching (SQLite's LIKE ignores ASCII case) only
   * keeps a key from being retired, never the reverse.
   */
  async anyUnder(db: Db, kid: string): Promise<boolean> {
    const p = containing(sealedPrefix(kid));
    const hits: Array<() => Promise<unknown>> = [
      () =>
        db
          .selectFrom('authenticators')
          .select('id')
          .where('secret_enc', 'like', p)
          .limit(1)
          .executeTakeFirst(),
      () => db.selectFrom('webhooks').select('id').where('secret_enc', 'like', p).limit(1).executeTakeFirst(),
      () =>
        db
          .selectFrom('outbox')
          .select('id')
          .where((eb) => eb.or([eb('text_enc', 'like', p), eb('html_enc', 'like', p)]))
          .limit(1)
          .executeTakeFirst(),
      () => db.selectFrom('jobs').select('id').where('payload', 'like', p).limit(1).executeTakeFirst(),
    ];
    // One at a time: a PostgreSQL transaction runs one statement at a time anyway.
    for (const hit of hits) if (await hit()) return true;
    return false;
  },
};

/** A LIKE pattern matching any text that contains `text` literally (`\` escapes; SQLite needs ESCAPE said). */
function containing(text: string) {
  const escaped = text.replace(/[\\%_]/g, (c) => `\\${c}`);
  return sql<string>`${`%${escaped}%`} escape '\\'`;
}
