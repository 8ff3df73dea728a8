import type { Db } from '../open-store.js';
import type { AuditEventRow } from '../schema.js';

export interface AuditHead {
  seq: number;
  hash: string;
  mac: string;
  master_kid: string;
}

/** The append-only audit chain and its signed head. */
export const auditRepo = {
  /** Reads the head, locking it on PostgreSQL so appends from every instance serialise. */
  headForAppend(db: Db, rowLocks: boolean): Promise<AuditHead | undefined> {
    const q = db.selectFrom('audit_head').select(['seq', 'hash', 'mac', 'master_kid']).where('id', '=', 1);
    return (rowLocks ? q.forUpdate() : q).executeTakeFirst();
  },

  head(db: Db): Promise<AuditHead | undefined> {
    return db
      .selectFrom('audit_head')
      .select(['seq', 'hash', 'mac', 'master_kid'])
      .where('id', '=', 1)
      .executeTakeFirst();
  },

  async insertEvents(db: Db, rows: AuditEventRow[]): Promise<void> {
    if (rows.length > 0) await db.insertInto('audit_events').values(rows).execute();
  },

  async writeHead(db: Db, head: AuditHead, exists: boolean): Promise<void> {
    if (exists) await db.updateTable('audit_head').set(head).where('id', '=', 1).execute();
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
