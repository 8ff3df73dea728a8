import { sql } from 'kysely';
import type { Db, Store } from '../open-store.js';
import { type PreparedQuery, prepareQuery } from '../prepared-query.js';
import type { AuditEventRow } from '../schema.js';

/** A filter of the audit viewer: prefixes of action and actor, a time range (ms, inclusive). */
export interface AuditFilter {
  action?: string;
  actor?: string;
  fromMs?: number;
  toMs?: number;
}

/**
 * A LIKE pattern matching values that start with `prefix` (its own % and _ match literally),
 * folded to lower case: it is compared with `lower(column)`, so the match ignores case on both
 * dialects (a bare LIKE ignores ASCII case on SQLite, not on PostgreSQL). SQLite's `lower` folds
 * ASCII letters only; actions and actor labels are ASCII.
 */
function prefixPattern(prefix: string): string {
  return `${prefix.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** `column` starts with `prefix`, ignoring case, as a bound parameter (never spliced into the SQL). */
function startsWith(column: 'action' | 'actor', prefix: string) {
  return sql<boolean>`lower(${sql.ref(column)}) like ${prefixPattern(prefix)} escape '\\'`;
}

export interface AuditHead {
  seq: number;
  hash: string;
  mac: string;
  master_kid: string;
}

/** The columns `chainPage` reads, in the order it maps them. */
const CHAIN_COLUMNS = [
  'seq',
  'at',
  'actor',
  'action',
  'subject',
  'source_ip',
  'outcome',
  'details',
  'prev_hash',
  'hash',
] as const;

/** The columns of an event row, in the order `insertEvents` passes them. */
const EVENT_COLUMNS = [...CHAIN_COLUMNS] as const;

/** The append path's queries, compiled once (every audited write runs them). */
const hot = {
  head: prepareQuery((db) =>
    db.selectFrom('audit_head').select(['seq', 'hash', 'mac', 'master_kid']).where('id', '=', 1),
  ),
  headForUpdate: prepareQuery((db) =>
    db.selectFrom('audit_head').select(['seq', 'hash', 'mac', 'master_kid']).where('id', '=', 1).forUpdate(),
  ),
  updateHead: prepareQuery((db, seq: number, hash: string, mac: string, masterKid: string) =>
    db.updateTable('audit_head').set({ seq, hash, mac, master_kid: masterKid }).where('id', '=', 1),
  ),
};

/** The most events inserted by one prepared statement (a group commit's largest batch). */
const PREPARED_INSERT_MAX = 256;

/** Multi-row inserts of `n` events, compiled once per `n`. */
const insertQueries = new Map<number, PreparedQuery<unknown[], unknown>>();

function insertQuery(n: number): PreparedQuery<unknown[], unknown> {
  let q = insertQueries.get(n);
  if (!q) {
    const width = EVENT_COLUMNS.length;
    q = prepareQuery(
      (db, ...slots: unknown[]) =>
        db
          .insertInto('audit_events')
          .values(
            Array.from(
              { length: n },
              (_, r) =>
                Object.fromEntries(EVENT_COLUMNS.map((c, k) => [c, slots[r * width + k]])) as AuditEventRow,
            ),
          ),
      n * width,
    );
    insertQueries.set(n, q);
  }
  return q;
}

/** The append-only audit chain and its signed head. */
export const auditRepo = {
  /**
   * Reads the head, locking it on PostgreSQL so appends from every instance serialise. Before the
   * first event there is no row to lock, so two first appends would both take seq 1: there, an
   * empty head (seq 0) is inserted first; a concurrent insert waits for the other to commit and
   * then locks its row. The empty head only ever commits with the append that fills it.
   */
  async headForAppend(db: Db, rowLocks: boolean): Promise<AuditHead | undefined> {
    if (!rowLocks) return hot.head.first(db);
    const head = await hot.headForUpdate.first(db);
    if (head) return head;
    await db
      .insertInto('audit_head')
      .values({ id: 1, seq: 0, hash: '', mac: '', master_kid: '' })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    return hot.headForUpdate.first(db);
  },

  head(db: Db): Promise<AuditHead | undefined> {
    return db
      .selectFrom('audit_head')
      .select(['seq', 'hash', 'mac', 'master_kid'])
      .where('id', '=', 1)
      .executeTakeFirst();
  },

  async insertEvents(db: Db, rows: AuditEventRow[]): Promise<void> {
    if (rows.length === 0) return;
    if (rows.length > PREPARED_INSERT_MAX) {
      await db.insertInto('audit_events').values(rows).execute();
      return;
    }
    const values: unknown[] = [];
    for (const row of rows) for (const c of EVENT_COLUMNS) values.push(row[c]);
    await insertQuery(rows.length).run(db, ...values);
  },

  async writeHead(db: Db, head: AuditHead, exists: boolean): Promise<void> {
    if (exists) await hot.updateHead.run(db, head.seq, head.hash, head.mac, head.master_kid);
    else
      await db
        .insertInto('audit_head')
        .values({ id: 1, ...head })
        .execute();
  },

  /** A page of events in chain order, after `afterSeq`. */
  page(db: Db, afterSeq: number, limit: number, sinceMs?: number): Promise<AuditEventRow[]> {
    let q = db.selectFrom('audit_events').selectAll().where('seq', '>', afterSeq);
    if (sinceMs !== undefined) q = q.where('at', '>=', sinceMs);
    return q.orderBy('seq').limit(limit).execute();
  },

  /**
   * The same rows as `page` (without `sinceMs`), up to `throughSeq` when given, fetched as
   * positional rows: verifying a million events spends most of its time building result objects
   * otherwise.
   */
  async chainPage(
    store: Store,
    afterSeq: number,
    limit: number,
    throughSeq?: number,
  ): Promise<AuditEventRow[]> {
    let q = store.db.selectFrom('audit_events').select(CHAIN_COLUMNS).where('seq', '>', afterSeq);
    if (throughSeq !== undefined) q = q.where('seq', '<=', throughSeq);
    const rows = await store.selectArrays(q.orderBy('seq').limit(limit).compile());
    return rows.map((r) => ({
      seq: r[0] as number,
      at: r[1] as number,
      actor: r[2] as string,
      action: r[3] as string,
      subject: r[4] as string | null,
      source_ip: r[5] as string | null,
      outcome: r[6] as AuditEventRow['outcome'],
      details: r[7] as string,
      prev_hash: r[8] as string,
      hash: r[9] as string,
    }));
  },

  /**
   * Events matching `filter`, `limit` at most: newest first before `beforeSeq` (the viewer's
   * pages), or in chain order after `afterSeq` (exports).
   */
  search(
    db: Db,
    filter: AuditFilter,
    limit: number,
    cursor: { beforeSeq?: number; afterSeq?: number } = {},
  ): Promise<AuditEventRow[]> {
    let q = db.selectFrom('audit_events').selectAll();
    if (filter.action) q = q.where(startsWith('action', filter.action));
    if (filter.actor) q = q.where(startsWith('actor', filter.actor));
    if (filter.fromMs !== undefined) q = q.where('at', '>=', filter.fromMs);
    if (filter.toMs !== undefined) q = q.where('at', '<=', filter.toMs);
    if (cursor.afterSeq !== undefined)
      return q.where('seq', '>', cursor.afterSeq).orderBy('seq').limit(limit).execute();
    if (cursor.beforeSeq !== undefined) q = q.where('seq', '<', cursor.beforeSeq);
    return q.orderBy('seq', 'desc').limit(limit).execute();
  },

  /** Events about one subject, newest first. */
  forSubject(db: Db, subject: string, limit: number): Promise<AuditEventRow[]> {
    return db
      .selectFrom('audit_events')
      .selectAll()
      .where('subject', '=', subject)
      .orderBy('seq', 'desc')
      .limit(limit)
      .execute();
  },
};
