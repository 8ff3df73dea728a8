import { describe, expect, it } from 'vitest';
import {
  type DeferredMail,
  deferredSubject,
  invitationMail,
  isDeferred,
  reminderMail,
  renderDeferred,
} from './index.js';

const HOSTILE = 'Mallory <b>x</b> http://evil.example\r\nBcc: x@evil.example';
const at = Date.UTC(2026, 11, 12, 9, 30);

describe('deferred mails', () => {
  const envs = [
    { publicUrl: 'https://2fa.example.org', orgName: 'Example' },
    { publicUrl: 'https://id.example.com/base', orgName: `${HOSTILE} ${'Org '.repeat(60)}` },
  ];
  const mails: DeferredMail[] = [
    { template: 'invitation', input: { name: HOSTILE, enrolToken: 'tok-1', deadline: at } },
    { template: 'reminder', input: { name: 'Ann', enrolToken: 'tok-2', deadline: at + 86_400_000 } },
  ];

  it('render exactly as the template called directly, the subject included', () => {
    for (const env of envs) {
      for (const m of mails) {
        const direct =
          m.template === 'invitation' ? invitationMail(env, m.input) : reminderMail(env, m.input);
        expect(renderDeferred(env, m)).toEqual(direct);
        expect(deferredSubject(env, m)).toBe(direct.subject);
        expect(direct.text).toContain(m.input.enrolToken);
      }
    }
  });

  it('are told apart from rendered mails', () => {
    expect(isDeferred(mails[0]!)).toBe(true);
    expect(isDeferred(invitationMail(envs[0]!, mails[0]!.input))).toBe(false);
  });
});
