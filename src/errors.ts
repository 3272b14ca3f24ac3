// The one error shape deskbot throws: a stable machine-readable code, whether a retry can help, and the cause kept.
// Adapters translate library errors into these at the boundary; domain code throws only the validation codes.

/**
 * Stable error codes. Documented in CONTRIBUTING.md; never rename one, only add.
 */
export const errorCodes = {
  CONFIG_INVALID: 'Environment configuration is invalid',
  POLICY_INVALID: 'The policy file is invalid',
  DIRECTORY_INVALID: 'The directory import file is invalid',
  CLI_USAGE: 'Bad command-line arguments',
  DB_UNAVAILABLE: 'The database cannot be reached',
  DB_LOCKED: 'The embedded data directory is in use by another process',
  MIGRATION_FAILED: 'A schema migration failed',
  NOT_FOUND: 'The requested record does not exist',
  INVALID_STATE: 'The operation is not allowed in the current state',
  FORBIDDEN: 'The actor lacks the role for this operation',
  MAIL_UNPARSEABLE: 'An inbound message could not be parsed',
  MAIL_TOO_LARGE: 'An inbound message exceeds the size limit',
  IMAP_AUTH: 'The IMAP server rejected the credentials',
  IMAP_CONNECTION: 'The IMAP connection failed',
  SMTP_TRANSIENT: 'The SMTP server refused temporarily',
  SMTP_PERMANENT: 'The SMTP server refused permanently',
  SLACK_RATE_LIMITED: 'Slack answered 429 Too Many Requests',
  SLACK_API: 'A Slack Web API call failed',
  SLACK_SIGNATURE: 'A Slack request failed signature verification',
  TEMPLATE_MISSING: 'A mail template is missing',
  INTERNAL: 'An unexpected internal error',
} as const;

export type ErrorCode = keyof typeof errorCodes;

export interface DeskbotErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  retryAfterMs?: number;
  /** Extra machine-readable context (file, record, field, ...). Never secrets or message bodies. */
  details?: Record<string, unknown>;
}

export class DeskbotError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: DeskbotErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeskbotError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
  }
}

export function isDeskbotError(error: unknown, code?: ErrorCode): error is DeskbotError {
  return error instanceof DeskbotError && (code === undefined || error.code === code);
}
