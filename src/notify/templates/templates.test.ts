import { describe, expect, it } from 'vitest';
import { decodeCharRefs, hrefsIn, urlsIn } from '../../../test/support/links.js';
import {
  actionUrl,
  escalationMail,
  exceptionExpiringMail,
  factorAddedMail,
  factorRemovedMail,
  invitationMail,
  type MailEnv,
  type RenderedMail,
  recoveryMail,
  reminderMail,
} from './index.js';

const HOSTILE =
  'Mallory <img src=x onerror=alert(1)> "quoted" & http://evil.example/phish\r\nBcc: x@evil.example';
const at = Date.UTC(2026, 11, 12, 9, 30);

/** Every template, filled with hostile values wherever a value comes from outside. */
const cases = (): Array<[string, (env: MailEnv) => RenderedMail]> => [
  [
    'invitation',
    (env) => invitationMail(env, { name: HOSTILE, enrolToken: 'tok/../x?a=1&b=<2>', deadline: at }),
  ],
  ['reminder', (env) => reminderMail(env, { name: HOSTILE, enrolToken: 'T0K3N', deadline: at })],
  [
    'escalation',
    (env) =>
      escalationMail(env, { managerName: HOSTILE, personName: HOSTILE, personId: 'u/1?x', deadline: at }),
  ],
  [
    'factor-added',
    (env) => factorAddedMail(env, { name: HOSTILE, factorType: 'totp', factorName: HOSTILE, at }),
  ],
  ['factor-removed', (env) => factorRemovedMail(env, { name: HOSTILE, factorType: 'webauthn', at })],
  [
    'exception-expiring',
    (env) =>
      exceptionExpiringMail(env, {
        ownerName: HOSTILE,
        covers: HOSTILE,
        waives: ['aal'],
        reason: HOSTILE,
        expiresAt: at,
        exceptionId: 'x/1?y',
      }),
  ],
  ['recovery', (env) => recoveryMail(env, { name: HOSTILE, stage: 'approved', reference: HOSTILE, at })],
];

const ENVS: MailEnv[] = [
  { publicUrl: 'https://id.example.org', orgName: 'Example <Corp>' },
  { publicUrl: 'http://localhost:8080/sso', orgName: 'Acme & Co' },
];

describe.each(ENVS)('mail templates under $publicUrl', (env) => {
  it.each(cases())('%s carries exactly one action link, under PUBLIC_URL, in both parts', (_name, render) => {
    const mail = render(env);
    const textLinks = urlsIn(mail.text);
    expect(textLinks).toHaveLength(1);
    const link = textLinks[0]!;
    expect(link.startsWith(`${env.publicUrl}/`)).toBe(true);

    expect(hrefsIn(mail.html)).toEqual([link]);
    expect(mail.html.match(/<a\s/g)).toHaveLength(1);
    expect(urlsIn(decodeCharRefs(mail.html))).toEqual([link]);
  });

  it.each(cases())('%s escapes every value in HTML and keeps headers to one line', (_name, render) => {
    const mail = render(env);
    expect(mail.html).not.toContain('<img');
    expect(mail.html).not.toContain('"quoted"');
    expect(mail.html).toContain('&#60;img');
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.text).not.toContain('\r');
    expect(mail.text).not.toContain('Bcc: x@evil.example\n');
  });
});

describe('action links', () => {
  const env = { publicUrl: 'https://id.example.org/base', orgName: 'Example' };

  it('puts the enrolment token in the path, encoded', () => {
    const mail = invitationMail(env, { name: 'Ann', enrolToken: 'a/b?c', deadline: at });
    expect(mail.text).toContain('https://id.example.org/base/enroll/a%2Fb%3Fc\n');
    expect(mail.text).toContain('12 December 2026');
  });

  it('refuses a path that would leave PUBLIC_URL', () => {
    expect(() => actionUrl(env, '//evil.example/x')).toThrow();
    expect(() => actionUrl(env, 'https://evil.example')).toThrow();
    expect(() => actionUrl(env, '/../../elsewhere')).toThrow();
    expect(actionUrl(env, '/account')).toBe('https://id.example.org/base/account');
  });
});
