import nodemailer from 'nodemailer';
import type { Config } from '../config.js';
import { PermanentJobError } from '../jobs/job-types.js';

/** One message on its way out; `jobId` names the send-mail job (idempotency and Message-ID). */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  jobId: string;
}

/** Where mail goes: an SMTP server, or the dev outbox while no SMTP_URL is set. */
export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
}

/** SMTP replies that say the recipient can never get this mail: retrying cannot help. */
const PERMANENT_REPLIES = new Set([550, 551, 553]);

/** The sender: PORTCULLIS_MAIL_FROM, else the organisation at no-reply@ the PUBLIC_URL host. */
export function mailFrom(config: Config): string {
  if (config.mailFrom) return config.mailFrom;
  const name = config.orgName.replace(/["\\\r\n]/g, '');
  return `"${name}" <no-reply@${new URL(config.publicUrl).hostname}>`;
}

/**
 * Mail over SMTP_URL with nodemailer (a connection per message: no pool to close at shutdown).
 * Sending twice is possible when a worker dies between the server's acceptance and recording
 * the job as done; the Message-ID is the job's, so receiving systems can tell a duplicate.
 */
export function smtpMailer(config: Config & { smtpUrl: string }): Mailer {
  const transport = nodemailer.createTransport({
    url: config.smtpUrl,
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  });
  const from = mailFrom(config);
  const domain = new URL(config.publicUrl).hostname;
  return {
    async send(mail) {
      try {
        await transport.sendMail({
          from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          messageId: `<${mail.jobId}@${domain}>`,
        });
      } catch (err) {
        const reply = (err as { responseCode?: unknown }).responseCode;
        if (typeof reply === 'number' && PERMANENT_REPLIES.has(reply)) {
          throw new PermanentJobError(`the mail server refused the recipient (${reply})`);
        }
        throw err;
      }
    },
  };
}

/** The mailer for this configuration: SMTP when SMTP_URL is set, else the dev outbox given. */
export function createMailer(config: Config, outbox: Mailer): Mailer {
  return config.smtpUrl ? smtpMailer({ ...config, smtpUrl: config.smtpUrl }) : outbox;
}
