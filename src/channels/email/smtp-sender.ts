// Sends an OutgoingMail: over SMTP (nodemailer pool), or into .eml files when SMTP_URL is unset (embedded default).
// Library errors become DeskbotError here; retrying is the outbox dispatcher's job, not the sender's.
import fs from 'node:fs';
import path from 'node:path';
import nodemailer, { type NodemailerError, type SendMailOptions } from 'nodemailer';
import type { Config } from '../../config.ts';
import { DeskbotError, isDeskbotError } from '../../errors.ts';
import { redactUrl, type Logger } from '../../logger.ts';
import { outgoingMailSchema, type OutgoingMail } from '../../app/outbox-messages.ts';
import { readCaFile } from './ca-file.ts';
import { tlsFailureKind } from './tls-failure.ts';

/** The sender address of every mail: SUPPORT_NAME <SUPPORT_ADDRESS>. */
export interface MailFrom {
  name: string;
  address: string;
}

export interface SentMail {
  messageId: string;
  /** Recipients the server took (all of them for the file sender). */
  accepted: string[];
  /** Recipients the server refused while it took others (RFC 5321 partial success). */
  rejected: string[];
  /** Final SMTP reply, or the .eml path for the file sender. */
  response: string;
}

/** A way to send one mail. `send` rejects only with DeskbotError (SMTP_TRANSIENT, SMTP_PERMANENT, INTERNAL). */
export interface MailSender {
  readonly kind: 'smtp' | 'file';
  /** Where mail goes, safe to log and show in /healthz (no credentials). */
  readonly description: string;
  send(mail: OutgoingMail): Promise<SentMail>;
  close(): Promise<void>;
}

/** Headers deskbot sets itself; the same names in `mail.headers` are ignored. */
const managedHeaders = ['auto-submitted', 'x-auto-response-suppress', 'x-deskbot-request-id', 'precedence', 'content-language'];

/** The subject with the `[SR-...]` tag appended when the request ID is set and the subject lacks that tag. */
export function subjectWithRequestTag(subject: string, requestId: string | undefined): string {
  const oneLine = subject.replace(/\s+/g, ' ').trim();
  if (!requestId) return oneLine;
  const tag = `[${requestId}]`;
  return oneLine.toLowerCase().includes(tag.toLowerCase()) ? oneLine : `${oneLine} ${tag}`.trim();
}

/**
 * The message as nodemailer takes it. Threading headers are kept as given; automatic mail carries
 * `Auto-Submitted` (RFC 3834 §5) and `X-Auto-Response-Suppress: All` (Exchange) so that vacation responders stay
 * quiet; no `Precedence` header (non-standard; RFC 3834 marks automatic mail with Auto-Submitted instead).
 */
export function toNodemailerMessage(mail: OutgoingMail, from: MailFrom): SendMailOptions {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(mail.headers)) {
    if (managedHeaders.includes(name.toLowerCase())) continue;
    headers[name] = value.replace(/[\r\n]+/g, ' ');
  }
  if (mail.autoSubmitted !== 'no') {
    headers['Auto-Submitted'] = mail.autoSubmitted;
    headers['X-Auto-Response-Suppress'] = 'All';
  }
  if (mail.requestId) headers['X-Deskbot-Request-Id'] = mail.requestId;
  if (mail.language) headers['Content-Language'] = mail.language;
  return {
    from,
    to: mail.to,
    cc: mail.cc.length ? mail.cc : undefined,
    subject: subjectWithRequestTag(mail.subject, mail.requestId),
    text: mail.text,
    html: mail.html,
    messageId: mail.messageId,
    inReplyTo: mail.inReplyTo,
    references: mail.references.length ? mail.references : undefined,
    headers,
  };
}

/** Composes MIME without a connection (the file sender; the intake rehearsal, which never sends). */
const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });

/** The mail as the RFC 5322 message (CRLF line ends) deskbot would send. */
export async function composeMessage(mail: OutgoingMail, from: MailFrom): Promise<Buffer> {
  const info = await composer.sendMail(toNodemailerMessage(mail, from));
  return info.message as Buffer;
}

/** Pause after a credentials problem: retrying at once cannot help until an operator fixes SMTP_URL. */
const authRetryAfterMs = 5 * 60_000;

/**
 * Maps a nodemailer failure to deskbot's error table:
 * - a 5xx reply (except 503) to the message: SMTP_PERMANENT, not retryable (RFC 5321 §4.2.1);
 * - 4xx replies, refused or dropped connections, timeouts, DNS and TLS failures: SMTP_TRANSIENT, retryable;
 * - a send abandoned after `sendTimeoutMs` (EABORT): SMTP_TRANSIENT; the server may still have taken it;
 * - rejected credentials (EAUTH, even with 535): SMTP_TRANSIENT with a 5-minute pause, because the account, not the
 *   message, is at fault and every queued mail would otherwise die;
 * - anything else: SMTP_TRANSIENT, so the dispatcher's attempt limit decides.
 */
export function translateSmtpError(error: unknown, smtpUrl?: string): DeskbotError {
  if (isDeskbotError(error)) return error;
  const failure = (error instanceof Error ? error : new Error(String(error))) as NodemailerError;
  const hint = smtpUrl ? smtpTlsHint(error, smtpUrl) : undefined;
  if (hint) {
    return new DeskbotError('SMTP_TRANSIENT', `SMTP TLS failed: ${failure.message} (${hint})`, {
      cause: error,
      retryable: true,
      details: { smtpCode: failure.code, hint },
    });
  }
  const responseCode = failure.responseCode ?? Number(/^\d{3}/.exec(failure.response ?? '')?.[0] ?? Number.NaN);
  const details = {
    smtpCode: failure.code,
    ...(Number.isNaN(responseCode) ? {} : { responseCode }),
    ...(failure.command ? { command: failure.command } : {}),
  };
  if (failure.code === 'EABORT') {
    return new DeskbotError('SMTP_TRANSIENT', `SMTP send took too long and was abandoned: ${failure.message}`, { cause: error, retryable: true, details });
  }
  if (failure.code === 'EAUTH' || failure.code === 'ENOAUTH') {
    return new DeskbotError('SMTP_TRANSIENT', `SMTP authentication failed: ${failure.message}`, {
      cause: error,
      retryable: true,
      retryAfterMs: authRetryAfterMs,
      details,
    });
  }
  const permanent = failure.permanent ?? (responseCode >= 500 && responseCode < 600 && responseCode !== 503);
  if (permanent) {
    return new DeskbotError('SMTP_PERMANENT', `SMTP server refused the message: ${failure.message}`, { cause: error, retryable: false, details });
  }
  return new DeskbotError('SMTP_TRANSIENT', `SMTP delivery failed, will retry: ${failure.message}`, { cause: error, retryable: true, details });
}

/**
 * Which SMTP setting to change when TLS failed: smtps:// (implicit TLS) against a STARTTLS port gives OpenSSL's
 * "wrong version number"; an untrusted certificate wants SMTP_TLS_CA_FILE. Undefined for other failures.
 */
export function smtpTlsHint(error: unknown, smtpUrl: string): string | undefined {
  let secure = false;
  let port = '';
  try {
    const url = new URL(smtpUrl);
    secure = url.protocol === 'smtps:';
    port = url.port;
  } catch {
    return undefined;
  }
  const kind = tlsFailureKind(error);
  if (kind === 'wrong-version') {
    return secure
      ? `port ${port || 465} does not speak implicit TLS; for STARTTLS (usually port 587) write SMTP_URL as smtp://`
      : 'TLS failed; for implicit TLS (usually port 465) write SMTP_URL as smtps://';
  }
  if (kind === 'host-mismatch') return 'the certificate does not name the SMTP_URL host; use the name the certificate was issued for';
  if (kind === 'untrusted') return 'the server certificate is not trusted: set SMTP_TLS_CA_FILE to the issuing CA (PEM), or NODE_EXTRA_CA_CERTS';
  return undefined;
}

export interface SmtpSenderOptions {
  /** smtp://user:pass@host:587 or smtps://user:pass@host:465 (SMTP_URL). */
  smtpUrl: string;
  from: MailFrom;
  logger: Logger;
  /** Pooled connections (SMTP_MAX_CONNECTIONS; default 10). */
  maxConnections?: number;
  /** Milliseconds to wait for TCP connect (default 10 s). */
  connectionTimeoutMs?: number;
  /** Milliseconds to wait for the 220 greeting (default 10 s). */
  greetingTimeoutMs?: number;
  /** Milliseconds of silence before a connection is dropped (default 30 s). */
  socketTimeoutMs?: number;
  /** Upper bound of one send, queueing in the pool included (default 45 s: inside the dispatcher's 60 s lease). */
  sendTimeoutMs?: number;
  /** TLS trust: a private CA's PEM (SMTP_TLS_CA_FILE) and whether untrusted certificates are refused (SMTP_TLS_REJECT_UNAUTHORIZED). */
  tls?: { ca?: string; rejectUnauthorized?: boolean };
}

/** SMTP through a nodemailer pool; `close()` ends the pooled connections. */
export function createSmtpSender(options: SmtpSenderOptions): MailSender {
  const description = `smtp ${redactUrl(options.smtpUrl)}`;
  const log = options.logger.child({ component: 'smtp', server: redactUrl(options.smtpUrl) });
  const transport = nodemailer.createTransport({
    url: options.smtpUrl,
    pool: true,
    maxConnections: options.maxConnections ?? 10,
    // A dropped connection is retried briefly by the pool; longer outages go back to the outbox with backoff.
    maxRequeues: 2,
    connectionTimeout: options.connectionTimeoutMs ?? 10_000,
    greetingTimeout: options.greetingTimeoutMs ?? 10_000,
    socketTimeout: options.socketTimeoutMs ?? 30_000,
    disableFileAccess: true,
    disableUrlAccess: true,
    ...(options.tls ? { tls: { ...(options.tls.ca ? { ca: options.tls.ca } : {}), rejectUnauthorized: options.tls.rejectUnauthorized ?? true } } : {}),
  });
  return {
    kind: 'smtp',
    description,
    async send(mail) {
      try {
        const info = await transport.sendMail({ ...toNodemailerMessage(mail, options.from), signal: AbortSignal.timeout(options.sendTimeoutMs ?? 45_000) });
        const rejected = info.rejected.map(String);
        if (rejected.length)
          log.warn(
            { event: 'smtp-recipients-rejected', messageId: mail.messageId, requestId: mail.requestId, rejected: rejected.length },
            'server refused some recipients',
          );
        return { messageId: mail.messageId, accepted: info.accepted.map(String), rejected, response: info.response };
      } catch (error) {
        throw translateSmtpError(error, options.smtpUrl);
      }
    },
    async close() {
      transport.close();
    },
  };
}

export interface FileSenderOptions {
  /** Folder for the .eml files, normally DATA_DIR/outbox. */
  dir: string;
  from: MailFrom;
}

/** A file name from the Message-ID: re-sending the same mail rewrites the same file instead of adding one. */
function emlFileName(messageId: string): string {
  return `${messageId.replace(/^<|>$/g, '').replace(/[^A-Za-z0-9._@-]/g, '_')}.eml`;
}

/**
 * Writes each mail as an RFC 5322 .eml file (CRLF line ends) instead of sending it: the embedded default, so a
 * fresh install never mails customers by accident. Writes go to a temporary name first, so a file is whole or absent.
 */
export function createFileSender(options: FileSenderOptions): MailSender {
  const dir = path.resolve(options.dir);
  return {
    kind: 'file',
    description: `file ${dir}`,
    async send(mail) {
      try {
        const message = await composeMessage(mail, options.from);
        const file = path.join(dir, emlFileName(mail.messageId));
        await fs.promises.mkdir(dir, { recursive: true });
        const temporary = `${file}.${process.pid}.tmp`;
        await fs.promises.writeFile(temporary, message);
        await fs.promises.rename(temporary, file);
        const recipients = [...mail.to, ...mail.cc].map((recipient) => recipient.address);
        return { messageId: mail.messageId, accepted: recipients, rejected: [], response: file };
      } catch (error) {
        throw new DeskbotError('INTERNAL', `Cannot write ${mail.messageId} to ${dir}: ${(error as Error).message}`, {
          cause: error,
          retryable: true,
          details: { dir },
        });
      }
    },
    async close() {
      // The composer holds no connection.
    },
  };
}

/**
 * The outbox handler for channel 'email': checks the payload against the OutgoingMail contract (a malformed payload
 * can never succeed, so it fails as non-retryable INTERNAL) and sends it.
 */
export function createEmailOutboxHandler(sender: MailSender, options: { healthPart?: string } = {}) {
  return {
    healthPart: options.healthPart ?? 'email-out',
    description: sender.description,
    async deliver(item: { id: string; payload: unknown }): Promise<void> {
      const parsed = outgoingMailSchema.safeParse(item.payload);
      if (!parsed.success) {
        throw new DeskbotError('INTERNAL', `Outbox ${item.id}: payload is not an outgoing mail: ${parsed.error.issues[0]?.message ?? 'invalid'}`, {
          retryable: false,
          details: { outboxId: item.id, paths: parsed.error.issues.map((issue) => issue.path.join('.')) },
        });
      }
      await sender.send(parsed.data);
    },
    close: () => sender.close(),
  };
}

/** SMTP when SMTP_URL is set, otherwise .eml files in DATA_DIR/outbox (the embedded default). */
export function createMailSenderFromConfig(
  config: Pick<Config, 'SMTP_URL' | 'SUPPORT_ADDRESS' | 'SUPPORT_NAME' | 'dataDir'> &
    Partial<Pick<Config, 'SMTP_MAX_CONNECTIONS' | 'SMTP_TLS_CA_FILE' | 'SMTP_TLS_REJECT_UNAUTHORIZED'>>,
  logger: Logger,
): MailSender {
  const from = { name: config.SUPPORT_NAME, address: config.SUPPORT_ADDRESS };
  if (!config.SMTP_URL) return createFileSender({ dir: path.join(config.dataDir, 'outbox'), from });
  const tls = {
    ...(config.SMTP_TLS_CA_FILE ? { ca: readCaFile('SMTP_TLS_CA_FILE', config.SMTP_TLS_CA_FILE) } : {}),
    rejectUnauthorized: config.SMTP_TLS_REJECT_UNAUTHORIZED ?? true,
  };
  const pool = config.SMTP_MAX_CONNECTIONS ? { maxConnections: config.SMTP_MAX_CONNECTIONS } : {};
  return createSmtpSender({ smtpUrl: config.SMTP_URL, from, logger, tls, ...pool });
}
