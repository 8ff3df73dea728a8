import { describe, expect, it } from 'vitest';
import { decodeCharRefs, hrefsIn, urlsIn } from '../../test/support/links.js';
import { factorUpgradeMail } from './factor-upgrade-mail.js';

const env = { publicUrl: 'https://id.example.org/sso', orgName: 'Example <Corp>' };
const deadline = Date.UTC(2026, 11, 12);

describe('factorUpgradeMail', () => {
  it('carries exactly one action link, to the account page under PUBLIC_URL, in both parts', () => {
    const mail = factorUpgradeMail(env, {
      name: 'Mallory <img src=x> http://evil.example/x',
      requiredTypes: ['webauthn'],
      phishingResistant: true,
      deadline,
      reminder: false,
    });
    expect(urlsIn(mail.text)).toEqual(['https://id.example.org/sso/account']);
    expect(hrefsIn(mail.html)).toEqual(['https://id.example.org/sso/account']);
    expect(urlsIn(decodeCharRefs(mail.html))).toEqual(['https://id.example.org/sso/account']);
    expect(mail.html).not.toContain('<img');
    expect(mail.subject).toBe('Add a passkey to your Example <Corp> account by 12 December 2026');
  });

  it('names the accepted types when any of several will do, and says when it is a reminder', () => {
    const mail = factorUpgradeMail(env, {
      name: 'Ann',
      requiredTypes: ['hotp', 'webauthn'],
      phishingResistant: false,
      deadline,
      reminder: true,
    });
    expect(mail.subject).toMatch(/^Reminder: add a hardware token \(HOTP\) or a passkey to your/);
  });
});
