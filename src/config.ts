// The one place deskbot reads process.env: every setting parsed and defaulted by one zod schema,
// with one readable error listing every bad variable. Adapters receive typed slices of the result.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { isIsoDate } from './domain/iso-date.ts';
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

/** Milliseconds of a duration written as a number and a unit (s, m, h, d); undefined when unreadable. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2]!.toLowerCase() as 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(match[1]) * unit);
}

/** Whether two IMAP folder names are one folder: INBOX in any case, `/` or `.` as the hierarchy delimiter. */
function sameImapFolder(a: string, b: string): boolean {
  const normal = (name: string) =>
    name
      .trim()
      .replace(/\./g, '/')
      .replace(/^inbox(?=\/|$)/i, 'INBOX');
  return normal(a) === normal(b);
}

const port = z.coerce.number().int().min(0).max(65535);

/** A duration setting ("48h", "90m", "2d") read as milliseconds; `positive` refuses a zero one. */
const duration = (fallback: string, message: string, options: { positive?: boolean } = {}) =>
  z
    .string()
    .default(fallback)
    .transform((value, context) => {
      const ms = parseDuration(value);
      if (ms === undefined || (options.positive && ms <= 0)) context.addIssue({ code: 'custom', message });
      return ms ?? 0;
    });

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** auto: human lines (and a start-up banner) when stdout is a terminal, JSON lines otherwise; json or pretty force one. */
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
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
  /** PEM file of a private CA the IMAP server's certificate is checked against (in addition to the system's). */
  IMAP_TLS_CA_FILE: optionalText,
  IMAP_USER: optionalText,
  IMAP_PASSWORD: optionalText,
  IMAP_MAILBOX: z.string().default('INBOX'),
  /** What marks a message processed once its ticket work is committed: an IMAP flag, or a move (the default when IMAP_PROCESSED_FOLDER is set). */
  IMAP_PROCESSED_ACTION: z.enum(['flag', 'move']).optional(),
  IMAP_PROCESSED_FLAG: z.string().default('$DeskbotProcessed'),
  /** Folder processed mail is moved to, written with `/` between levels (the server's own separator is used); default Processed. */
  IMAP_PROCESSED_FOLDER: optionalText,
  /** Where a mailbox without a stored resume point starts: new (only mail arriving from now on), all, or since:<YYYY-MM-DD>. */
  IMAP_START: z
    .string()
    .default('new')
    .transform((value) => value.trim().toLowerCase())
    .pipe(
      z.union([
        z.enum(['new', 'all']),
        z
          .string()
          .regex(/^since:\d{4}-\d{2}-\d{2}$/, 'must be new, all or since:YYYY-MM-DD')
          // Only a since:YYYY-MM-DD the regex let through is checked for a day that exists (refine runs after a failed regex too).
          .refine((value) => !/^since:\d{4}-\d{2}-\d{2}$/.test(value) || isIsoDate(value.slice(6)), 'names a day that does not exist'),
      ]),
    ),
  /** No automatic notice (not eligible, throttled, oversized) answers a message older than this (e.g. 48h, 90m, 2d). */
  AUTO_NOTICE_MAX_AGE: duration('48h', 'must be a duration such as 48h, 90m or 2d'),
  /** Messages handled at once; each is still marked processed only after its own commit, and the resume point stays behind the first one not committed. */
  IMAP_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
  /**
   * PostgreSQL: stored messages handled together in one transaction (group commit; a failed group is handled again
   * one by one). Default half of IMAP_CONCURRENCY; 1 turns it off. The embedded back end never groups.
   */
  INTAKE_GROUP_SIZE: z.coerce.number().int().min(1).max(64).optional(),

  SMTP_URL: optionalText,
  /** PEM file of a private CA the SMTP server's certificate is checked against (in addition to the system's). */
  SMTP_TLS_CA_FILE: optionalText,
  SMTP_TLS_REJECT_UNAUTHORIZED: boolean(true),
  /** Pooled SMTP connections, and e-mails sent at once (shared by all processes when REDIS_URL is set). */
  SMTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(100).default(10),
  /** E-mails started per second at most (shared with REDIS_URL); unset: no rate cap. */
  SMTP_MAX_PER_SECOND: z.preprocess((value) => (typeof value === 'string' && value.trim() === '' ? undefined : value), z.coerce.number().positive().optional()),
  SUPPORT_ADDRESS: z.string().email().default('support@deskbot.local'),
  SUPPORT_NAME: z.string().default('Support'),
  /** Where the not-eligible notice sends people to buy, renew or extend (address or URL); defaults to SUPPORT_ADDRESS. */
  SALES_CONTACT: optionalText,
  MAIL_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(25 * 1024 * 1024),
  /** Attachment content kept per message (deduplicated by SHA-256); beyond it only names and sizes, and engineers are told. */
  ATTACHMENT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .default(25 * 1024 * 1024),
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
  SLACK_FILE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .default(20 * 1024 * 1024),
  SLACK_COMMAND: z
    .string()
    .regex(/^\/[a-z0-9_-]+$/)
    .default('/support'),

  SLA_SWEEP_INTERVAL_MS: z.coerce.number().int().positive().default(15_000),
  OUTBOX_POLL_INTERVAL_MS: z.coerce.number().int().positive().default(1_000),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /** Embedded database only: vacuum after this many writing transactions (PGlite has no autovacuum). */
  EMBEDDED_VACUUM_AFTER_TRANSACTIONS: z.coerce.number().int().min(1).default(1_000),
  /** Embedded database only: vacuum at least this often when anything was written (e.g. 1h, 30m). */
  EMBEDDED_VACUUM_MAX_INTERVAL: duration('1h', 'must be a duration such as 1h, 30m or 2d', { positive: true }),
  /** How long a CLI command waits for the deskbot holding the embedded database (starting up, or another command) before it gives up. */
  CLI_LOCK_WAIT_MS: z.coerce.number().int().min(0).default(30_000),
  /**
   * `serve` only: V8 collects the heap once it grew this many percent past its live data (V8's --heap-growing-percent);
   * 0 keeps V8's own policy, which allows up to 300% on a large host. See src/heap-growth.ts.
   */
  HEAP_GROWTH_PERCENT: z.coerce.number().int().min(0).max(300).default(30),
  /**
   * `serve` only: synthetic requests rehearsed through intake after start-up, rolled back and never sent, while no real
   * mail is in hand, so that the first real burst meets compiled code (src/jobs/intake-rehearsal.ts). 0 turns it off.
   */
  INTAKE_REHEARSAL_ROUNDS: z.coerce.number().int().min(0).max(5_000).default(300),
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
  if (config.IMAP_PROCESSED_FOLDER && config.IMAP_PROCESSED_ACTION === 'flag') {
    problems.push('  IMAP_PROCESSED_FOLDER: set, but IMAP_PROCESSED_ACTION=flag keeps messages in place; unset one of them (the folder alone means move)');
  }
  if (config.IMAP_PROCESSED_FOLDER && sameImapFolder(config.IMAP_PROCESSED_FOLDER, config.IMAP_MAILBOX)) {
    problems.push(
      `  IMAP_PROCESSED_FOLDER: ${config.IMAP_PROCESSED_FOLDER} is the mailbox read (IMAP_MAILBOX); moving mail into it would read it again forever`,
    );
  }
  for (const name of ['IMAP_TLS_CA_FILE', 'SMTP_TLS_CA_FILE'] as const) {
    const file = config[name];
    if (!file) continue;
    try {
      fs.accessSync(file, fs.constants.R_OK);
      if (!fs.statSync(file).isFile()) problems.push(`  ${name}: ${file} is not a file`);
    } catch (error) {
      problems.push(`  ${name}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  if (problems.length) throw new DeskbotError('CONFIG_INVALID', `Invalid configuration:\n${problems.join('\n')}`);
  return { ...config, dataDir: path.resolve(config.DATA_DIR) };
}
