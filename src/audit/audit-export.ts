import type { AuditEventView } from './audit-service.js';

/** The CSV export's columns, in order. */
export const AUDIT_CSV_COLUMNS = [
  'seq',
  'time',
  'actor',
  'action',
  'subject',
  'sourceIp',
  'outcome',
  'details',
  'hash',
] as const;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. A value a
 * spreadsheet would run as a formula (= + - @ at the start) is prefixed with a quote mark.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One event as a CSV line (CRLF-terminated). */
export function auditCsvLine(e: AuditEventView): string {
  const cells = [
    String(e.seq),
    e.time,
    e.actor,
    e.action,
    e.subject ?? '',
    e.sourceIp ?? '',
    e.outcome,
    JSON.stringify(e.details),
    e.hash,
  ];
  return `${cells.map(csvField).join(',')}\r\n`;
}

/** Lines per chunk of a streamed export: one socket write each, a few hundred kB at most. */
const LINES_PER_CHUNK = 500;

/**
 * The lines of an export, JSON lines or CSV with its header first, in chunks of many lines: a
 * response streamed from this holds one chunk and one page of events in memory, however long
 * the trail.
 */
export async function* exportLines(
  events: AsyncIterable<AuditEventView>,
  format: 'jsonl' | 'csv',
): AsyncGenerator<string> {
  let chunk: string[] = format === 'csv' ? [`${AUDIT_CSV_COLUMNS.join(',')}\r\n`] : [];
  for await (const e of events) {
    chunk.push(format === 'csv' ? auditCsvLine(e) : `${JSON.stringify(e)}\n`);
    if (chunk.length >= LINES_PER_CHUNK) {
      yield chunk.join('');
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk.join('');
}
