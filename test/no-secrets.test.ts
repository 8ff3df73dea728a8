import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBase32 } from '../src/authenticators/otp/index.js';
import { createLogger } from '../src/shared/logger.js';
import { createPerson, issueHotp, issueTotp } from './support/people.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';

/**
 * No secret in the database file, the logs or any read API: issue every kind of secret, use
 * them, then grep the real SQLite file (and its WAL), everything logged, and every GET answer.
 */
describe('secrets stay secret', () => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let logs = '';
  const secrets: string[] = [];
  const rawSeeds: Buffer[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs += chunk;
        done();
      },
    });
    rt = await createTestRuntime('sqlite', { logger: createLogger('trace', sink) });
    app = await rt.app();
    const admin = await rt.token('admin');
    const validator = await rt.token('validator');
    secrets.push(admin, validator);
    const p = await createPerson(rt, 'secret-keeper', { password: 'correct horse battery staple' });
    secrets.push('correct horse battery staple');
    const t = await issueTotp(rt, p.id, admin);
    const h = await issueHotp(rt, p.id, admin);
    secrets.push(t.secret, h.secret, t.otpauthUri);
    rawSeeds.push(decodeBase32(t.secret), decodeBase32(h.secret));
    for (const type of ['recovery_codes', 'access_pass']) {
      const r = await app.inject({
        method: 'POST',
        url: `/api/v1/users/${p.id}/authenticators`,
        headers: { authorization: `Bearer ${admin}` },
        payload: { type },
      });
      expect(r.statusCode).toBe(201);
      const body = r.json() as { codes?: string[]; code?: string };
      secrets.push(...(body.codes ?? []), ...(body.code ? [body.code] : []));
    }
    const code = t.code();
    secrets.push(code);
    for (const c of [code, '000000']) {
      await app.inject({
        method: 'POST',
        url: '/api/v1/validate',
        headers: { authorization: `Bearer ${validator}` },
        payload: { username: 'secret-keeper', code: c },
      });
    }
    // Every GET route, as admin, with this person's id where one is needed.
    for (const route of app.apiRouteTable.filter((r) => r.method === 'GET')) {
      const url = route.url.replace(':id', p.id).replace(/:(\w+)/g, 'x');
      const res = await app.inject({ url, headers: { authorization: `Bearer ${admin}` } });
      logs += `\nGET ${url} -> ${res.body}`;
    }
  });
  afterAll(() => rt.dispose());

  it('issued at least a dozen distinct secrets to look for', () => {
    expect(new Set(secrets).size).toBeGreaterThan(12);
  });

  it('the database file and its WAL hold none of them', () => {
    const path = rt.db.url.slice('sqlite:'.length);
    const bytes = Buffer.concat(
      [path, `${path}-wal`].map((f) => {
        try {
          return readFileSync(f);
        } catch {
          return Buffer.alloc(0);
        }
      }),
    );
    expect(bytes.length).toBeGreaterThan(10_000);
    for (const s of secrets) {
      for (const form of [s, s.replace(/-/g, ''), s.toLowerCase()]) {
        expect(bytes.includes(Buffer.from(form)), `database holds ${form.slice(0, 6)}…`).toBe(false);
      }
    }
    for (const seed of rawSeeds) {
      expect(bytes.includes(seed)).toBe(false);
      expect(bytes.includes(Buffer.from(seed.toString('hex')))).toBe(false);
      expect(bytes.includes(Buffer.from(seed.toString('base64')))).toBe(false);
    }
  });

  it('the logs and every read API answer hold none of them', () => {
    expect(logs).toContain('GET /api/v1/users');
    for (const s of secrets) expect(logs.includes(s), `logs/read API hold ${s.slice(0, 6)}…`).toBe(false);
  });
});
