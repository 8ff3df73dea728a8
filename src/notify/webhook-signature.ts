import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '../crypto/constant-time.js';

/** `sha256=<hex HMAC-SHA256 of the raw body>`, keyed with the webhook's secret (its UTF-8 bytes). */
export const SIGNATURE_HEADER = 'X-Portcullis-Signature';
/** When this delivery attempt was sent, in Unix seconds. */
export const TIMESTAMP_HEADER = 'X-Portcullis-Timestamp';
/** The event type, e.g. `person.created`. */
export const EVENT_HEADER = 'X-Portcullis-Event';
/** The delivery's id (the job's): the same on every retry of one delivery. */
export const DELIVERY_HEADER = 'X-Portcullis-Delivery';

/** The signature header value for a raw body. */
export function signWebhookBody(secret: string, rawBody: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** What a receiver does: recompute the signature over the raw body and compare in constant time. */
export function verifyWebhookSignature(
  secret: string,
  rawBody: string | Buffer,
  header: string | undefined,
): boolean {
  return header !== undefined && constantTimeEqual(signWebhookBody(secret, rawBody), header);
}
