import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './passwords.js';

/** Hashes made by the argon2 reference implementation (node-argon2 0.45), as databases already hold them. */
const REFERENCE = [
  {
    password: 'correct horse battery staple',
    hash: '$argon2id$v=19$m=19456,p=1,t=2$H4AWFlVl6Gk2g3nd5bkdoA$m5LJxYg7T/F2q5ljMYNs7x9NeiZEs36+uyBDPqxx/8Y',
  },
  {
    password: 'Grüße, 世界',
    hash: '$argon2id$v=19$m=8192,p=2,t=3$3BlNoad//7SkM4AnYYwggg$rU5HSFzjPoDGPWDXqg+T9H12addRK9TFKF4BmQq3XbU',
  },
];

describe('password hashing (argon2id)', () => {
  it("hashes with OWASP's parameters in the PHC format, with a fresh salt each time", async () => {
    const a = await hashPassword('a password');
    const b = await hashPassword('a password');
    expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword(a, 'a password')).toBe(true);
    expect(await verifyPassword(a, 'a passwore')).toBe(false);
    expect(await verifyPassword(a, '')).toBe(false);
  });

  it('verifies the hashes the reference implementation made, with their own parameters', async () => {
    for (const r of REFERENCE) {
      expect(await verifyPassword(r.hash, r.password)).toBe(true);
      expect(await verifyPassword(r.hash, `${r.password} `)).toBe(false);
    }
  });

  it('answers false, never throws, for a malformed or foreign hash', async () => {
    const good = REFERENCE[0]!;
    for (const hash of [
      '',
      'garbage',
      good.hash.replace('argon2id', 'argon2x'),
      good.hash.slice(0, -5),
      '$2b$10$abcdefghijklmnopqrstuuH5Zx0t8v5q6U8o6c6i3m0f8Yy8m8m8m',
    ]) {
      expect(await verifyPassword(hash, good.password)).toBe(false);
    }
  });
});
