import { z } from 'zod';
import type { Context } from '../context.js';
import { newId } from '../crypto/random.js';
import type { JobService } from '../jobs/job-service.js';
import { type JobRun, type JobSpec, PermanentJobError } from '../jobs/job-types.js';
import { AppError } from '../shared/errors.js';
import type { Db } from '../store/open-store.js';
import { createMailer, type Mailer } from './mailer.js';
import type { OutboxService } from './outbox-service.js';
import { type DeferredMail, deferredSubject, isDeferred, renderDeferred } from './templates/deferred.js';
import type { MailEnv, RenderedMail } from './templates/mail-layout.js';

/** The job kind that sends one mail. */
export const SEND_MAIL = 'send-mail';

const address = z.email().max(254);
const payloadSchema = z.object({
  to: address,
  subject: z.string(),
  sealed: z.string(),
  /** 'deferred': the sealed part is a template and its input, rendered when sent. */
  body: z.literal('deferred').optional(),
});
const bodySchema = z.object({ text: z.string(), html: z.string() });
const deferredSchema = z.object({
  template: z.enum(['invitation', 'reminder']),
  input: z.object({ name: z.string(), enrolToken: z.string(), deadline: z.number() }),
});

/** A mail to queue: rendered now, or deferred (a template and its input, rendered when sent). */
export type QueuedMail = RenderedMail | DeferredMail;

/** How a mail is queued: at most once per key (e.g. `invitation:<requirement id>`), not before runAt. */
export interface QueueOptions {
  idempotencyKey?: string;
  runAt?: number;
}

/** Binds a sealed mail body to its job: it cannot be replayed into another job's payload. */
const aad = (jobId: string) => `mail:${jobId}`;

/**
 * Mail as a durable job: services render a template and queue it inside their own transaction,
 * so the mail goes out if and only if the change commits; a worker sends it later, with retries.
 */
export class MailService {
  private readonly mailer: Mailer;

  constructor(
    private readonly ctx: Context,
    private readonly jobs: JobService,
    outbox: OutboxService,
  ) {
    this.mailer = createMailer(ctx.config, outbox);
  }

  /** What templates need: PUBLIC_URL and the organisation's name. */
  get env(): MailEnv {
    return { publicUrl: this.ctx.config.publicUrl, orgName: this.ctx.config.orgName };
  }

  /**
   * Queues `mail` to `to` inside `trx`. The body (it holds the action link) is sealed; the
   * recipient and subject stay readable for the jobs view. With an idempotency key (e.g.
   * `invitation:<requirement id>`) the same mail is queued at most once.
   */
  async queue(
    trx: Db,
    to: string,
    mail: RenderedMail,
    opts: QueueOptions = {},
  ): Promise<{ jobId: string; created: boolean }> {
    const job = await this.jobs.enqueue(trx, this.jobSpec({ to, mail, ...opts }));
    return { jobId: job.id, created: job.created };
  }

  /** Queues many mails inside `trx` in a few inserts (bulk invitations); returns how many are new. */
  queueMany(trx: Db, mails: ReadonlyArray<{ to: string; mail: QueuedMail } & QueueOptions>): Promise<number> {
    return this.jobs.enqueueMany(
      trx,
      mails.map((m) => this.jobSpec(m)),
    );
  }

  private jobSpec({ to, mail, ...opts }: { to: string; mail: QueuedMail } & QueueOptions): JobSpec {
    if (!address.safeParse(to).success) {
      throw new AppError('VALIDATION_FAILED', 'the recipient is not an e-mail address');
    }
    const id = newId();
    if (isDeferred(mail)) {
      const sealed = this.ctx.keyring.encrypt(Buffer.from(JSON.stringify(mail)), aad(id));
      return {
        id,
        kind: SEND_MAIL,
        payload: { to, subject: deferredSubject(this.env, mail), sealed, body: 'deferred' },
        ...opts,
      };
    }
    const body = Buffer.from(JSON.stringify({ text: mail.text, html: mail.html }));
    return {
      id,
      kind: SEND_MAIL,
      payload: { to, subject: mail.subject, sealed: this.ctx.keyring.encrypt(body, aad(id)) },
      ...opts,
    };
  }

  /** The send-mail job handler: opens the body and hands it to SMTP or the dev outbox. */
  async deliver(payload: unknown, run: JobRun): Promise<void> {
    const parsed = payloadSchema.safeParse(payload);
    if (!parsed.success) throw new PermanentJobError('malformed send-mail payload');
    let body: z.infer<typeof bodySchema>;
    try {
      const opened = JSON.parse(
        (await this.ctx.keyring.decrypt(parsed.data.sealed, aad(run.id))).toString('utf8'),
      );
      body =
        parsed.data.body === 'deferred'
          ? renderDeferred(this.env, deferredSchema.parse(opened))
          : bodySchema.parse(opened);
    } catch {
      throw new PermanentJobError('the sealed mail body does not open');
    }
    await this.mailer.send({ to: parsed.data.to, subject: parsed.data.subject, ...body, jobId: run.id });
  }
}
