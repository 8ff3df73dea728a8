import { z } from 'zod';
import { AppError } from './shared/errors.js';

/**
 * The one configuration schema. Every option is read from the environment, documented beside
 * its default, and validated at start-up: a bad setting stops the process with a message that
 * names it (CONTRACT.md, "Start and configure").
 */
const schema = z
  .object({
    /** Listen port. Default 8080. */
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    /** Listen address. Default 127.0.0.1 (not every interface: put a proxy in front). */
    HOST: z.string().min(1).default('127.0.0.1'),
    /** External base URL: the OIDC issuer and WebAuthn relying party. Default http://localhost:$PORT. */
    PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
    /** `sqlite:PATH` or `postgres://…`. Default sqlite:./data/portcullis.db. */
    DATABASE_URL: z
      .string()
      .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, 'must be sqlite:PATH or postgres://…')
      .default('sqlite:./data/portcullis.db'),
    /** 32-byte key, base64, that wraps every stored secret. Absent: ./data/master.key is created (not in production). */
    PORTCULLIS_MASTER_KEY: z
      .string()
      .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded')
      .optional(),
    /** Earlier master keys (comma-separated base64) still accepted for unwrapping during a master-key change. */
    PORTCULLIS_PREVIOUS_MASTER_KEYS: z.string().optional(),
    /** Where the generated master key and the default SQLite file live. Default ./data. */
    PORTCULLIS_DATA_DIR: z.string().min(1).default('./data'),
    /** Outgoing mail, e.g. smtp://user:pass@host:587. Absent: the dev outbox. */
    SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
    /** Sender of every mail, e.g. `Portcullis <no-reply@id.example.org>`. Default: the organisation's name at no-reply@ the PUBLIC_URL host. */
    PORTCULLIS_MAIL_FROM: z
      .string()
      .regex(/^[^\r\n]*@[^\r\n]+$/, 'must be an address, optionally as "Name <address>"')
      .max(200)
      .optional(),
    /** `production` refuses to start without PORTCULLIS_MASTER_KEY. */
    NODE_ENV: z.string().default('development'),
    /** pino log level. Default info. */
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Bearer token GET /metrics requires (`Authorization: Bearer …`). Absent: /metrics is open, like /healthz. */
    PORTCULLIS_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Name shown on pages and in otpauth URIs. Default Portcullis. */
    PORTCULLIS_ORG_NAME: z.string().min(1).max(100).default('Portcullis'),
    /** Consecutive failures allowed before back-off starts (NIST 800-63B 3.2.2 caps it at 100). Default 10. */
    PORTCULLIS_THROTTLE_FREE_FAILURES: z.coerce.number().int().min(1).max(100).default(10),
    /** Lifetime of a Temporary Access Pass in minutes. Default 60. */
    PORTCULLIS_ACCESS_PASS_MINUTES: z.coerce
      .number()
      .int()
      .min(5)
      .max(8 * 60)
      .default(60),
    /** Longest a write waits to join a group commit, in ms (0 = as soon as the previous commit ends). Default 0. */
    PORTCULLIS_GROUP_COMMIT_MS: z.coerce.number().min(0).max(50).default(0),
    /** Days from a person's creation during which they may sign in and enrol a first factor. Default 14. */
    PORTCULLIS_ENROLMENT_GRACE_DAYS: z.coerce.number().int().min(0).max(365).default(14),
    /** Whom people are told to contact when sign-in cannot go on (shown on the refusal page). */
    PORTCULLIS_HELPDESK_CONTACT: z.string().min(1).max(200).default('your IT help desk'),
    /** SSO session overall limit in hours; may lower the NIST ceiling (AAL2 24 h, AAL3 12 h), never raise it. Default 24. */
    PORTCULLIS_SESSION_MAX_HOURS: z.coerce
      .number()
      .min(0.25)
      .max(24, 'must be at most 24 (NIST SP 800-63B)')
      .default(24),
    /** SSO session idle limit in minutes; may lower the NIST ceiling (AAL2 60, AAL3 15), never raise it. Default 60. */
    PORTCULLIS_SESSION_IDLE_MINUTES: z.coerce
      .number()
      .min(1)
      .max(60, 'must be at most 60 (NIST SP 800-63B)')
      .default(60),
    /** Days a finished (`done`) job is kept before housekeeping deletes it; failed and dead jobs stay. Default 14. */
    PORTCULLIS_JOB_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(14),
    /** Days a dev-outbox message is kept before housekeeping deletes it. Default 14. */
    PORTCULLIS_OUTBOX_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(14),
    /** Groups whose members are privileged: their help-desk recovery needs a second person's approval (comma-separated). Default admins. */
    PORTCULLIS_PRIVILEGED_GROUPS: z.string().max(2000).default('admins'),
  })
  .transform((c) => ({
    port: c.PORT,
    host: c.HOST,
    publicUrl: (c.PUBLIC_URL ?? `http://localhost:${c.PORT}`).replace(/\/+$/, ''),
    databaseUrl: c.DATABASE_URL,
    masterKey: c.PORTCULLIS_MASTER_KEY ? Buffer.from(c.PORTCULLIS_MASTER_KEY, 'base64') : undefined,
    previousMasterKeys: (c.PORTCULLIS_PREVIOUS_MASTER_KEYS ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean)
      .map((k) => Buffer.from(k, 'base64')),
    dataDir: c.PORTCULLIS_DATA_DIR,
    smtpUrl: c.SMTP_URL,
    mailFrom: c.PORTCULLIS_MAIL_FROM,
    production: c.NODE_ENV === 'production',
    logLevel: c.LOG_LEVEL,
    metricsToken: c.PORTCULLIS_METRICS_TOKEN,
    orgName: c.PORTCULLIS_ORG_NAME,
    throttleFreeFailures: c.PORTCULLIS_THROTTLE_FREE_FAILURES,
    accessPassMinutes: c.PORTCULLIS_ACCESS_PASS_MINUTES,
    groupCommitMs: c.PORTCULLIS_GROUP_COMMIT_MS,
    enrolmentGraceDays: c.PORTCULLIS_ENROLMENT_GRACE_DAYS,
    helpdeskContact: c.PORTCULLIS_HELPDESK_CONTACT,
    sessionMaxHours: c.PORTCULLIS_SESSION_MAX_HOURS,
    sessionIdleMinutes: c.PORTCULLIS_SESSION_IDLE_MINUTES,
    jobRetentionDays: c.PORTCULLIS_JOB_RETENTION_DAYS,
    outboxRetentionDays: c.PORTCULLIS_OUTBOX_RETENTION_DAYS,
    privilegedGroups: c.PORTCULLIS_PRIVILEGED_GROUPS.split(',')
      .map((g) => g.trim())
      .filter(Boolean),
  }));

export type Config = z.output<typeof schema>;

/** Reads and validates the configuration; throws CONFIG_INVALID naming every bad setting. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable means "not set" (as in `PORTCULLIS_MASTER_KEY= npm start`).
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new AppError('CONFIG_INVALID', `invalid configuration: ${problems}`);
  }
  const config = parsed.data;
  if (config.production && !config.masterKey) {
    throw new AppError(
      'CONFIG_INVALID',
      'invalid configuration: PORTCULLIS_MASTER_KEY is required when NODE_ENV=production',
    );
  }
  return config;
}
