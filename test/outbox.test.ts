import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { factorAddedMail, invitationMail } from '../src/notify/templates/index.js';
import { DIALECTS } from './support/databases.js';
import { urlsIn } from './support/links.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';

/** Without SMTP_URL, mail lands in the dev outbox and is read at GET /api/v1/outbox (CONTRACT.md). */
describe.each(DIALECTS)('dev outbox on %s', (dialect) => {
  let rt: TestRuntime;
  let app: FastifyInstance;
  let helpdesk: string;
  const outbox = (token = helpdesk) =>
    app.inject({ url: '/api/v1/outbox', headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    rt = await createTestRuntime(dialect);
    app = await rt.app();
    helpdesk = await rt.token('helpdesk');
  });
  afterAll(async () => rt?.dispose());

  it('lists delivered mail newest first: to, subject, text, sentAt', async () => {
    const env = rt.services.mail.env;
    const worker = rt.services.jobs.worker({ workerId: 'outbox' });
    const older = factorAddedMail(env, { name: 'Ann', factorType: 'totp', at: rt.clock.now() });
    await rt.ctx.store.transaction((trx) => rt.services.mail.queue(trx, 'ann@example.org', older));
    expect(await outbox().then((r) => r.json())).toEqual([]); // queued is not yet delivered
    expect(await worker.runOnce()).toBe(1);
    const firstSent = rt.clock.now();

    rt.clock.advance(60_000);
    const newer = invitationMail(env, {
      name: 'Bob',
      enrolToken: 'enrol-me',
      deadline: rt.clock.now() + 14 * 86_400_000,
    });
    await rt.ctx.store.transaction((trx) => rt.services.mail.queue(trx, 'bob@example.org', newer));
    expect(await worker.runOnce()).toBe(1);

    const res = await outbox();
    expect(res.statusCode).toBe(200);
    const messages = res.json() as Array<{ to: string; subject: string; text: string; sentAt: string }>;
    expect(messages.map((m) => [m.to, m.subject, m.sentAt])).toEqual([
      ['bob@example.org', newer.subject, new Date(rt.clock.now()).toISOString()],
      ['ann@example.org', older.subject, new Date(firstSent).toISOString()],
    ]);
    expect(messages[0]!.text).toBe(newer.text);
    expect(urlsIn(messages[0]!.text)).toEqual([`${rt.config.publicUrl}/enroll/enrol-me`]);
  });

  it('keeps bodies sealed at rest, and one message per job however often it is delivered', async () => {
    const mail = {
      to: 'dup@example.org',
      subject: 'twice',
      text: 'body-marker-7f3a',
      html: '<p>x</p>',
      jobId: 'job-dup',
    };
    await rt.services.outbox.send(mail);
    await rt.services.outbox.send(mail);
    const rows = await rt.ctx.store.db
      .selectFrom('outbox')
      .selectAll()
      .where('job_id', '=', 'job-dup')
      .execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain('body-marker-7f3a');
    const listed = (await outbox().then((r) => r.json())) as Array<{ to: string; text: string }>;
    expect(listed.filter((m) => m.to === 'dup@example.org').map((m) => m.text)).toEqual(['body-marker-7f3a']);
  });

  it('answers 401 without a token, 403 for roles other than admin and helpdesk, 400 for a bad limit', async () => {
    expect((await app.inject({ url: '/api/v1/outbox' })).statusCode).toBe(401);
    expect((await outbox(await rt.token('auditor'))).json()).toMatchObject({ code: 'FORBIDDEN' });
    expect((await outbox(await rt.token('admin'))).statusCode).toBe(200);
    const bad = await app.inject({
      url: '/api/v1/outbox?limit=0',
      headers: { authorization: `Bearer ${helpdesk}` },
    });
    expect(bad.json()).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  });
});
