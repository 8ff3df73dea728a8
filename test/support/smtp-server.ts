import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface TestSmtpServer {
  /** SMTP_URL for Portcullis, with the test credentials. */
  url: string;
  /** Every message accepted, parsed, in arrival order. */
  messages: ParsedMail[];
  /** User names that authenticated. */
  logins: string[];
  close(): Promise<void>;
}

/** SMTP replies the server gives per recipient local part, e.g. { nobody: 550 } (default 250). */
export type RecipientReplies = Record<string, number>;

/**
 * A real SMTP server in-process on 127.0.0.1 (random port), plain text (no STARTTLS), with
 * AUTH required as `mailer` / `s3cret`. Received mail is parsed with mailparser.
 */
export async function startSmtpServer(replies: RecipientReplies = {}): Promise<TestSmtpServer> {
  const messages: ParsedMail[] = [];
  const logins: string[] = [];
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    onAuth(auth, _session, callback) {
      if (auth.username === 'mailer' && auth.password === 's3cret') {
        logins.push(auth.username);
        callback(null, { user: auth.username });
      } else callback(new Error('invalid credentials'));
    },
    onRcptTo(address, _session, callback) {
      const code = replies[address.address.split('@')[0]!];
      if (code === undefined) return callback();
      callback(Object.assign(new Error(`recipient refused (${code})`), { responseCode: code }));
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          messages.push(mail);
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://mailer:s3cret@127.0.0.1:${port}`,
    messages,
    logins,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
