// The one place deskbot reads process.env: every setting parsed and defaulted by one zod schema,
// with one readable error listing every bad variable. Adapters receive typed slices of the result.
import path from 'node:path';
import { z } from 'zod';
import { DeskbotError } from './errors.ts';

const boolean = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
    .default(fallback ? 'true' : 'false')
    .transform((value) => ['true', '1', 'yes', 'on'].includes(value));

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const list = z
  .string()
  .optional()
  .transform((value) => (value ?? '').split(/[\s,]+/).filter(Boolean));

const port = z.coerce.number().int().min(0).max(65535);

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: port.default(3000),
  HOST: z.string().default('0.0.0.0'),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: optionalText.refine((value) => value === undefined || /^postgres(ql)?:\/\//.test(value), {
    message: 'must be a postgresql:// URL',
  }),
  POLICY_FILE: optionalText,
  DIRECTORY_FILE: optionalText,
  REDIS_URL: optionalText,
  LOCALE: z.string().default('en'),
  TEMPLATES_DIR: optionalText,

  IMAP_HOST: optionalText,
  IMAP_PORT: port.default(993),
  IMAP_SECURE: boolean(true),
  IMAP_TLS_REJECT_UNAUTHORIZED: boolean(true),
  IMAP_USER: optionalText,
  IMAP_PASSWORD: optionalText,
  IMAP_MAILBOX: z.string().default('INBOX'),
  /** What marks a message processed once its ticket work is committed: an IMAP flag, or a move. */
  IMAP_PROCESSED_ACTION: z.enum(['flag', 'move']).default('flag'),
  IMAP_PROCESSED_FLAG: z.string().default('$DeskbotProcessed'),
  IMAP_PROCESSED_FOLDER: z.string().default('Processed'),
  /** Messages handled at once; each is still marked processed only after its own commit, and the resume point stays behind the first one not committed. */
  IMAP_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),

  SMTP_URL: optionalText,
  /** Pooled SMTP connections, and e-mails sent at once (shared by all processes when REDIS_URL is set). */
  SMTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(100).default(10),
  /** E-mails started per second at most (shared with REDIS_URL); unset: no rate cap. */
  SMTP_MAX_PER_SECOND: z.preprocess((value) => (typeof value === 'string' && value.trim() === '' ? undefined : value), z.coerce.number().positive().optional()),
  SUPPORT_ADDRESS: z.string().email().default('support@deskbot.local'),
  SUPPORT_NAME: z.string().default('Support'),
  /** Where the not-eligible notice sends people to buy, renew or extend (address or URL); defaults to SUPPORT_ADDRESS. */
  SALES_CONTACT: optionalText,
  MAIL_MAX_BYTES: z.coerce.number().int().positive().default(25 * 1024 * 1024),
  /** Attachment content kept per message (deduplicated by SHA-256); beyond it only names and sizes, and engineers are told. */
  ATTACHMENT_MAX_BYTES: z.coerce.number().int().min(0).default(25 * 1024 * 1024),
  /** Strict sender authentication; off, only a recorded `dmarc=fail` refuses (domain/eligibility.ts, isSenderAccepted). */
  AUTH_REQUIRED: boolean(false),
  /** authserv-id of the receiving server whose Authentication-Results are trusted. */
  AUTH_SERV_ID: optionalText,
  MANAGER_EMAILS: list,

  SLACK_BOT_TOKEN: optionalText,
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_APP_TOKEN: optionalText,
  SLACK_API_URL: optionalText,
  SLACK_TRIAGE_CHANNEL: optionalText,
  SLACK_BILLING_CHANNEL: optionalText,
  SLACK_MANAGERS: list,
  /** Attachments larger than this are listed by name and size in the ticket's thread instead of uploaded. */
  SLACK_FILE_MAX_BYTES: z.coerce.number().int().min(0).default(20 * 1024 * 1024),
  SLACK_COMMAND: z.string().regex(/^\/[a-z0-9_-]+$/).default('/support'),

  SLA_SWEEP_INTERVAL_MS: z.coerce.number().int().positive().default(15_000),
  OUTBOX_POLL_INTERVAL_MS: z.coerce.number().int().positive().default(1_000),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
});

export type RawConfig = z.infer<typeof configSchema>;
export type Config = RawConfig & { dataDir: string };

/** Parses the environment once. Throws CONFIG_INVALID listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new DeskbotError('CONFIG_INVALID', `Invalid configuration:\n${lines.join('\n')}`, {
      details: { variables: result.error.issues.map((issue) => issue.path.join('.')) },
    });
  }
  const config = result.data;
  const problems: string[] = [];
  if (config.IMAP_HOST && (!config.IMAP_USER || !config.IMAP_PASSWORD)) problems.push('  IMAP_USER/IMAP_PASSWORD: required when IMAP_HOST is set');
  if (config.SLACK_BOT_TOKEN && !config.SLACK_SIGNING_SECRET && !config.SLACK_APP_TOKEN) {
    problems.push('  SLACK_SIGNING_SECRET: required with SLACK_BOT_TOKEN in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)');
  }
  if (problems.length) throw new DeskbotError('CONFIG_INVALID', `Invalid configuration:\n${problems.join('\n')}`);
  return { ...config, dataDir: path.resolve(config.DATA_DIR) };
}
