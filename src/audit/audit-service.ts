import type { Context } from '../context.js';
import { type AuditFilter, auditRepo } from '../store/repos/audit-events.js';
import type { AuditEventRow } from '../store/schema.js';

/** An audit event as exported to a SIEM (one JSON line each). */
export interface AuditEventView {
  seq: number;
  time: string;
  actor: string;
  action: string;
  subject: string | null;
  sourceIp: string | null;
  outcome: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** Shapes a row for export. */
export function toAuditView(row: AuditEventRow): AuditEventView {
  return {
    seq: row.seq,
    time: new Date(row.at).toISOString(),
    actor: row.actor,
    action: row.action,
    subject: row.subject,
    sourceIp: row.source_ip,
    outcome: row.outcome,
    details: JSON.parse(row.details) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** Reading the audit trail: verify, export, per-subject history. */
export class AuditService {
  constructor(private readonly ctx: Context) {}

  /** Verifies the whole chain and its signed head. */
  verify() {
    return this.ctx.audit.verify(this.ctx.store);
  }

  /** Streams events in chain order, optionally from a time on. */
  async *export(sinceMs?: number, pageSize = 5_000): AsyncGenerator<AuditEventView> {
    let after = 0;
    for (;;) {
      const page = await auditRepo.page(this.ctx.store.reader, after, pageSize, sinceMs);
      if (page.length === 0) return;
      for (const row of page) yield toAuditView(row);
      after = page[page.length - 1]!.seq;
    }
  }

  /** The newest events matching `filter` (a page of the audit viewer), before `beforeSeq`. */
  async search(filter: AuditFilter, limit = 100, beforeSeq?: number): Promise<AuditEventView[]> {
    return (await auditRepo.search(this.ctx.store.db, filter, limit, { beforeSeq })).map(toAuditView);
  }

  /** Every event matching `filter`, in chain order, page by page (the viewer's exports). */
  async *exportMatching(filter: AuditFilter, pageSize = 5_000): AsyncGenerator<AuditEventView> {
    let afterSeq = 0;
    for (;;) {
      const page = await auditRepo.search(this.ctx.store.reader, filter, pageSize, { afterSeq });
      if (page.length === 0) return;
      for (const row of page) yield toAuditView(row);
      afterSeq = page[page.length - 1]!.seq;
    }
  }

  /** The newest events about one subject. */
  async forSubject(subject: string, limit = 100): Promise<AuditEventView[]> {
    return (await auditRepo.forSubject(this.ctx.store.db, subject, limit)).map(toAuditView);
  }
}
