import { describe, expect, it } from 'vitest';
import { decodeCharRefs, hrefsIn, urlsIn } from '../../test/support/links.js';
import { passForManagerMail } from './pass-for-manager-mail.js';

const HOSTILE = 'Mallory <img src=x> "q" http://evil.example/phish\r\nBcc: x@evil.example';
const env = { publicUrl: 'https://id.example.org', orgName: 'Example <Corp>' };

describe('the pass mail to a manager', () => {
  const mail = passForManagerMail(env, {
    managerName: HOSTILE,
    personName: HOSTILE,
    code: 'ABCD-EFGH-JKLM',
    expiresAt: Date.UTC(2026, 10, 28, 13, 0),
    reference: HOSTILE,
  });

  it('carries the pass and its end, and exactly one action link under PUBLIC_URL', () => {
    expect(mail.text).toContain('ABCD-EFGH-JKLM');
    expect(mail.text).toContain('13:00 UTC');
    const links = urlsIn(mail.text);
    expect(links).toHaveLength(1);
    expect(links[0]!.startsWith(`${env.publicUrl}/`)).toBe(true);
    expect(hrefsIn(mail.html)).toEqual(links);
    expect(urlsIn(decodeCharRefs(mail.html))).toEqual(links);
  });

  it('escapes names and keeps the subject to one line', () => {
    expect(mail.html).not.toContain('<img');
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.text).not.toContain('Bcc: x@evil.example\n');
  });
});
