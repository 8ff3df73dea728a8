import { z } from 'zod';
import type { WebhookRow } from '../store/schema.js';

/** An event type: an audit action name such as `person.deprovisioned`, or `*` for every event. */
const eventType = z
  .string()
  .regex(/^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*)$/, 'must be an event name like person.created, or *')
  .max(100);

/**
 * A new subscription. Only http(s), and no credentials in the URL: the receiver authenticates
 * us by the signature, and a URL ends up in logs and audit details.
 */
export const newWebhookSchema = z.strictObject({
  url: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .refine((u) => {
      // Zod runs refinements after a failed check too: an unparseable URL is reported above.
      if (!URL.canParse(u)) return true;
      const parsed = new URL(u);
      return parsed.username === '' && parsed.password === '';
    }, 'must not carry credentials'),
  events: z.array(eventType).min(1).max(50),
});
export type NewWebhook = z.infer<typeof newWebhookSchema>;

/** What read APIs show of a webhook: never its secret. */
export interface WebhookView {
  id: string;
  url: string;
  events: string[];
  active: boolean;
  createdAt: string;
}

/** The subscribed event types of a row. */
export function webhookEvents(row: WebhookRow): string[] {
  return JSON.parse(row.events) as string[];
}

/** Shapes a row for the API. */
export function toWebhookView(row: WebhookRow): WebhookView {
  return {
    id: row.id,
    url: row.url,
    events: webhookEvents(row),
    active: row.active === 1,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
