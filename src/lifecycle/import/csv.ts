import { AppError } from '../../shared/errors.js';

/** One CSV record and the line it starts on (1-based, as an editor shows it). */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/**
 * Parses CSV text (RFC 4180): comma-separated, fields optionally in double quotes (`""` is a
 * quote inside one; quoted fields may span lines), CRLF or LF line ends, an optional UTF-8 BOM.
 * Blank lines are skipped. A malformed quote is VALIDATION_FAILED naming its line.
 */
export function parseCsv(text: string): CsvRecord[] {
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const out: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let start = 1;
  let quoted = false;
  let wasQuoted = false;
  const endRecord = () => {
    fields.push(field);
    if (fields.length > 1 || fields[0] !== '' || wasQuoted) out.push({ line: start, fields });
    fields = [];
    field = '';
    wasQuoted = false;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
        const next = s[i + 1];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
          throw new AppError('VALIDATION_FAILED', `line ${line}: text after a closing quote`);
        }
      } else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"') {
      if (field !== '')
        throw new AppError('VALIDATION_FAILED', `line ${line}: a quote inside an unquoted field`);
      quoted = true;
      wasQuoted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else {
      field += c;
    }
  }
  if (quoted) throw new AppError('VALIDATION_FAILED', `line ${start}: a quoted field is never closed`);
  if (field !== '' || fields.length > 0 || wasQuoted) endRecord();
  return out;
}
