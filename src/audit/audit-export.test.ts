import { describe, expect, it } from 'vitest';
import { auditCsvLine, csvField } from './audit-export.js';

describe('audit CSV', () => {
  it('quotes fields with commas, quotes and line breaks (RFC 4180)', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
  });

  it('defuses values a spreadsheet would run as formulas', () => {
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('@sum')).toBe("'@sum");
  });

  it('writes one event as one CRLF-terminated line in column order', () => {
    const line = auditCsvLine({
      seq: 7,
      time: '2026-11-28T12:00:00.000Z',
      actor: 'user:ada',
      action: 'person.roles_set',
      subject: 'u1',
      sourceIp: null,
      outcome: 'success',
      details: { after: ['admin'] },
      prevHash: 'p',
      hash: 'h',
    });
    expect(line).toBe(
      '7,2026-11-28T12:00:00.000Z,user:ada,person.roles_set,u1,,success,"{""after"":[""admin""]}",h\r\n',
    );
  });
});
