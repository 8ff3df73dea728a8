import { z } from 'zod';
import type { Actor } from '../audit/audit-log.js';
import type { Context } from '../context.js';
import { newId, secureRandomBytes } from '../crypto/random.js';
import type { JobService } from '../jobs/job-service.js';
import { type JobRun, PermanentJobError } from '../jobs/job-types.js';
import { AppError } from '../shared/errors.js';
import type { Db } from '../store/open-store.js';
import { webhooksRepo } from '../store/repos/webhooks.js';
import {
  DELIVERY_HEADER,
  EVENT_HEADER,
  SIGNATURE_HEADER,
  signWebhookBody,
  TIMESTAMP_HEADER,
} from './webhook-signature.js';
import { newWebhookSchema, toWebhookView, type WebhookView, webhookEvents } from './webhook-view.js';

/** The job kind that delivers one event to one webhook. */
export const WEBHOOK_JOB = 'webhook';
/** A receiver that does not answer within this is retried later. */
const TIMEOUT_MS = 10_000;

/** What a receiver gets as the JSON body. */
export interface WebhookEvent {
  /** Unique per event: receivers drop a delivery whose id they have seen (deliveries can repeat). */
  id: string;
  type: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

const eventSchema = z.object({
  id: z.string(),
  type: z.string(),
  occurredAt: z.string(),
  data: z.record(z.string(), z.unknown()),
});
const payloadSchema = z.object({ webhookId: z.string(), event: eventSchema });
const aad = (id: string) => `webhook:${id}`;

/** Where a URL points, for audit details and logs (a query string may carry a receiver's key). */
const origin = (url: string) => {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
};

/**
 * Webhooks for lifecycle events: an admin subscribes a URL to event types; services emit
 * events inside their transaction; each (event, webhook) is a job that POSTs the event as
 * JSON signed with the webhook's secret (HMAC-SHA256), retried by the queue until it gets a 2xx.
 */
export class WebhookService {
  constructor(
    private readonly ctx: Context,
    private readonly jobs: JobService,
  ) {}

  /** Subscribes a URL; the answer carries the signing secret, the only time it is shown. */
  async create(actor: Actor, input: unknown): Promise<WebhookView & { secret: string }> {
    const { url, events } = newWebhookSchema.parse(input);
    const id = newId();
    const secret = `whsec_${secureRandomBytes(32).toString('base64url')}`;
    const row = {
      id,
      url,
      secret_enc: this.ctx.keyring.encrypt(Buffer.from(secret), aad(id)),
      events: JSON.stringify([...new Set(events)]),
      created_at: this.ctx.clock.now(),
      active: 1,
    };
    await this.ctx.store.transaction(async (trx) => {
      await webhooksRepo.insert(trx, row);
      await this.ctx.audit.append(trx, actor, {
        action: 'webhook.created',
        subject: id,
        details: { url: origin(url), events: webhookEvents(row) },
      });
    });
    return { ...toWebhookView(row), secret };
  }

  /** Every webhook, without secrets. */
  async list(): Promise<WebhookView[]> {
    return (await webhooksRepo.list(this.ctx.store.db)).map(toWebhookView);
  }

  /** Stops deliveries to a webhook; those already queued are dropped when their turn comes. */
  async deactivate(actor: Actor, id: string): Promise<WebhookView> {
    return this.ctx.store.transaction(async (trx) => {
      if (!(await webhooksRepo.byId(trx, id))) throw new AppError('NOT_FOUND', `no webhook with id ${id}`);
      if (!(await webhooksRepo.deactivate(trx, id))) {
        throw new AppError('INVALID_STATE', `webhook ${id} is already inactive`);
      }
      await this.ctx.audit.append(trx, actor, { action: 'webhook.deactivated', subject: id });
      return toWebhookView((await webhooksRepo.byId(trx, id))!);
    });
  }

  /**
   * Queues an event for every active webhook subscribed to its type, inside `trx` (so it goes
   * out only if the change commits). Give `id` to make emitting the same event twice a no-op.
   * Returns how many deliveries were queued.
   */
  async emit(trx: Db, event: { type: string; data: Record<string, unknown>; id?: string }): Promise<number> {
    const hooks = (await webhooksRepo.active(trx)).filter((h) => {
      const types = webhookEvents(h);
      return types.includes('*') || types.includes(event.type);
    });
    const body: WebhookEvent = {
      id: event.id ?? newId(),
      type: event.type,
      occurredAt: new Date(this.ctx.clock.now()).toISOString(),
      data: event.data,
    };
    let queued = 0;
    for (const hook of hooks) {
      const job = await this.jobs.enqueue(trx, {
        kind: WEBHOOK_JOB,
        payload: { webhookId: hook.id, event: body },
        idempotencyKey: `webhook:${hook.id}:${body.id}`,
      });
      if (job.created) queued += 1;
    }
    return queued;
  }

  /** The webhook job handler: one signed POST; anything but a 2xx fails the run (the queue retries). */
  async deliver(payload: unknown, run: JobRun): Promise<void> {
    const parsed = payloadSchema.safeParse(payload);
    if (!parsed.success) throw new PermanentJobError('malformed webhook payload');
    const { webhookId, event } = parsed.data;
    const hook = await webhooksRepo.byId(this.ctx.store.db, webhookId);
    if (!hook?.active) {
      this.ctx.logger.info({ job: run.id, webhook: webhookId }, 'webhook gone or inactive: delivery dropped');
      return;
    }
    const secret = (await this.ctx.keyring.decrypt(hook.secret_enc, aad(hook.id))).toString('utf8');
    const body = JSON.stringify(event);
    let status: number;
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Portcullis-Webhook/1',
          [SIGNATURE_HEADER]: signWebhookBody(secret, body),
          [TIMESTAMP_HEADER]: String(Math.floor(this.ctx.clock.now() / 1000)),
          [EVENT_HEADER]: event.type,
          [DELIVERY_HEADER]: run.id,
        },
        body,
        // A redirect is not a delivery: never follow one to wherever it points.
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      status = res.status;
      await res.body?.cancel();
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw new Error(`delivery to ${origin(hook.url)} failed: ${cause ?? (err as Error).message}`);
    }
    if (status < 200 || status >= 300) throw new Error(`${origin(hook.url)} answered ${status}`);
  }
}
