import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invitationMail } from '../src/notify/templates/index.js';
import { DIALECTS } from './support/databases.js';
import { disableLifecycleRules } from './support/lifecycle.js';
import { hrefsIn, urlsIn } from './support/links.js';
import { createPerson } from './support/people.js';
import { createTestRuntime, type TestRuntime } from './support/runtime.js';
import { startSmtpServer, type TestSmtpServer } from './support/smtp-server.js';

/**
 * Mail over a real SMTP exchange: an invitation queued with the change that caused it goes out
 * through the send-mail job to an in-process SMTP server, which parses what it received.
 */
describe.each(DIALECTS)('mail over SMTP on %s', (dialect) => {
  let smtp: TestSmtpServer;
  let rt: TestRuntime;
  const deadline = Date.UTC(2026, 11, 12);

  beforeAll(async () => {
    smtp = await startSmtpServer({ nobody: 550, busy: 451 });
    rt = await createTestRuntime(dialect, {
      env: { SMTP_URL: smtp.url, PUBLIC_URL: 'https://id.example.org', PORTCULLIS_ORG_NAME: 'Example Corp' },
    });
    await disableLifecycleRules(rt); // these tests queue their own invitations
  });
  afterAll(async () => {
    await rt?.dispose();
    await smtp?.close();
  });

  const queue = (to: string, token: string) =>
    rt.ctx.store.transaction((trx) =>
      rt.services.mail.queue(
        trx,
        to,
        invitationMail(rt.services.mail.env, { name: 'Jo Iner', enrolToken: token, deadline }),
        {
          idempotencyKey: `invitation:${to}`,
        },
      ),
    );

  it('delivers the invitation through the job: subject, sender, and exactly one link under PUBLIC_URL', async () => {
    const person = await createPerson(rt, 'joiner');
    const { jobId } = await queue(person.email!, 'tok-123');
    expect(smtp.messages).toHaveLength(0); // queued, not sent: sending is the worker's
    const stored = await rt.ctx.store.db
      .selectFrom('jobs')
      .select('payload')
      .where('id', '=', jobId)
      .executeTakeFirstOrThrow();
    expect(stored.payload).not.toContain('tok-123'); // the body (with its link) is sealed at rest

    const worker = rt.services.jobs.worker({ workerId: 'mailer' });
    expect(await worker.runOnce()).toBe(1);
    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!;
    expect(mail.subject).toBe('Set up your second sign-in factor for Example Corp');
    expect(mail.from?.value[0]?.address).toBe('no-reply@id.example.org');
    expect([mail.to].flat().map((a) => a?.text)).toEqual(['joiner@example.org']);
    expect(mail.messageId).toBe(`<${jobId}@id.example.org>`);
    const link = 'https://id.example.org/enroll/tok-123';
    expect(urlsIn(mail.text ?? '')).toEqual([link]);
    expect(hrefsIn(String(mail.html))).toEqual([link]);
    expect(smtp.logins).toEqual(['mailer']); // the credentials in SMTP_URL were used
    expect(await rt.services.jobs.get(jobId)).toMatchObject({ state: 'done', attempts: 1 });
  });

  it('queues a mail at most once per idempotency key, and nothing when the change rolls back', async () => {
    const first = await queue('twice@example.org', 'tok-a');
    const again = await queue('twice@example.org', 'tok-b');
    expect(again).toEqual({ jobId: first.jobId, created: false });
    await expect(
      rt.ctx.store.transaction(async (trx) => {
        await rt.services.mail.queue(
          trx,
          'never@example.org',
          invitationMail(rt.services.mail.env, { name: 'N', enrolToken: 't', deadline }),
        );
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    await rt.services.jobs.worker({ workerId: 'mailer' }).runOnce();
    const to = smtp.messages.map((m) => [m.to].flat()[0]?.text);
    expect(to.filter((t) => t === 'twice@example.org')).toHaveLength(1);
    expect(to).not.toContain('never@example.org');
  });

  it('a refused recipient fails the job for good; a temporary refusal is retried', async () => {
    const refused = await queue('nobody@example.org', 'tok-x');
    const busy = await queue('busy@example.org', 'tok-y');
    await rt.services.jobs.worker({ workerId: 'mailer' }).runOnce();
    expect(await rt.services.jobs.get(refused.jobId)).toMatchObject({ state: 'failed', attempts: 1 });
    expect(await rt.services.jobs.get(busy.jobId)).toMatchObject({ state: 'queued', attempts: 1 });
  });

  it('the dev outbox is off while SMTP_URL is set: 404 NOT_FOUND', async () => {
    const app = await rt.app();
    const res = await app.inject({
      url: '/api/v1/outbox',
      headers: { authorization: `Bearer ${await rt.token('admin')}` },
    });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'NOT_FOUND' });
  });
});
