import type { Context } from '../context.js';
import { newId } from '../crypto/random.js';
import { AppError } from '../shared/errors.js';
import { outboxRepo } from '../store/repos/outbox.js';
import type { Mailer, OutgoingMail } from './mailer.js';

/** One message in the dev outbox, as `GET /api/v1/outbox` shows it. */
export interface OutboxMessage {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  sentAt: string;
}

const aad = (id: string, part: 'text' | 'html') => `outbox:${id}:${part}`;

/**
 * The dev outbox: while no SMTP_URL is set, mail is kept in the database (sealed: its links are
 * single-use credentials) and read through the admin API instead of being sent.
 */
export class OutboxService implements Mailer {
  constructor(private readonly ctx: Context) {}

  /** Whether mail goes to the outbox (no SMTP_URL). */
  get enabled(): boolean {
    return !this.ctx.config.smtpUrl;
  }

  /** Keeps a message; a second delivery of the same job adds nothing (the send-mail job is idempotent). */
  async send(mail: OutgoingMail): Promise<void> {
    const id = newId();
    const { keyring } = this.ctx;
    const row = {
      id,
      to_addr: mail.to,
      subject: mail.subject,
      text_enc: keyring.encrypt(Buffer.from(mail.text), aad(id, 'text')),
      html_enc: keyring.encrypt(Buffer.from(mail.html), aad(id, 'html')),
      sent_at: this.ctx.clock.now(),
      job_id: mail.jobId,
    };
    // Group commit: messages delivered together share one commit (one fsync on SQLite).
    const stored = await this.ctx.store.groupCommit((trx) => outboxRepo.insert(trx, row));
    // No body in the log: it holds the action link.
    if (stored) {
      this.ctx.logger.info(
        { to: mail.to, subject: mail.subject },
        'mail kept in the dev outbox (GET /api/v1/outbox)',
      );
    }
  }

  /** The newest messages first; NOT_FOUND while mail goes out over SMTP. */
  async list(limit = 50): Promise<OutboxMessage[]> {
    if (!this.enabled) throw new AppError('NOT_FOUND', 'the dev outbox is off: mail goes out over SMTP_URL');
    const rows = await outboxRepo.list(this.ctx.store.db, limit);
    return Promise.all(
      rows.map(async (r) => ({
        id: r.id,
        to: r.to_addr,
        subject: r.subject,
        text: (await this.ctx.keyring.decrypt(r.text_enc, aad(r.id, 'text'))).toString('utf8'),
        html: (await this.ctx.keyring.decrypt(r.html_enc, aad(r.id, 'html'))).toString('utf8'),
        sentAt: new Date(r.sent_at).toISOString(),
      })),
    );
  }
}
