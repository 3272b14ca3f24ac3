// imapflow failures as DeskbotErrors and imapflow's own log lines as deskbot's, each with the reason it gives and,
// for TLS mismatches and untrusted certificates, the setting to change. No retry decisions here.
import type { ImapFlowError, Logger as ImapFlowLogger } from 'imapflow';
import { DeskbotError, isDeskbotError } from '../../../errors.ts';
import type { Logger } from '../../../logger.ts';
import { tlsFailureKind } from '../tls-failure.ts';

/** The connection settings a hint is written for. */
export interface TlsHintSettings {
  port: number;
  secure: boolean;
}

/**
 * Which IMAP setting to change when TLS failed on the way in: implicit TLS against a STARTTLS port (OpenSSL's "wrong
 * version number"), plain text against an implicit-TLS port, or a certificate deskbot cannot trust. Undefined otherwise.
 */
export function imapTlsHint(error: unknown, settings: TlsHintSettings): string | undefined {
  const kind = tlsFailureKind(error);
  if (kind === 'wrong-version') {
    return settings.secure
      ? `port ${settings.port} does not speak implicit TLS; for STARTTLS (usually port 143) set IMAP_SECURE=false`
      : 'TLS failed; for implicit TLS (usually port 993) set IMAP_SECURE=true';
  }
  if (!settings.secure && settings.port === 993) return 'port 993 normally expects implicit TLS: set IMAP_SECURE=true (or use port 143 for STARTTLS)';
  if (kind === 'host-mismatch') return 'the certificate does not name IMAP_HOST; connect with the name the certificate was issued for';
  if (kind === 'untrusted') return 'the server certificate is not trusted: set IMAP_TLS_CA_FILE to the issuing CA (PEM), or NODE_EXTRA_CA_CERTS';
  return undefined;
}

/** Translates an imapflow failure into a DeskbotError, keeping the cause; `hint` is appended to the message. */
export function imapError(error: unknown, what: string, hint?: string): DeskbotError {
  if (isDeskbotError(error)) return error;
  const failure = error as ImapFlowError;
  const suffix = hint ? ` (${hint})` : '';
  if (failure?.authenticationFailed) {
    const reason = failure.responseText ? `: ${failure.responseText}` : '';
    return new DeskbotError('IMAP_AUTH', `${what}: the server rejected the credentials${reason}`, {
      cause: error,
      retryable: true,
      details: { imapCode: failure.serverResponseCode ?? failure.code },
    });
  }
  const text = failure?.responseText ?? failure?.message ?? String(error);
  return new DeskbotError('IMAP_CONNECTION', `${what}: ${text}${suffix}`, {
    cause: error,
    retryable: true,
    details: { imapCode: failure?.code, mailboxMissing: failure?.mailboxMissing, ...(hint ? { hint } : {}) },
  });
}

/** The reason an imapflow log entry gives: the server's text, else the error's message, else the line's own text. */
export function imapflowReason(entry: Record<string, unknown> | undefined): { reason?: string; imapCode?: string; authenticationFailed?: true } {
  const failure = entry?.err as (ImapFlowError & { serverResponseCode?: string }) | undefined;
  const reason = failure?.responseText || failure?.reason || failure?.message || (typeof entry?.msg === 'string' ? entry.msg : undefined);
  const imapCode = failure?.serverResponseCode ?? failure?.code;
  return {
    ...(reason ? { reason } : {}),
    ...(imapCode ? { imapCode: String(imapCode) } : {}),
    ...(failure?.authenticationFailed ? { authenticationFailed: true as const } : {}),
  };
}

/** Forwards imapflow's own log lines: warnings and errors with their reason and code, chatter at trace, protocol frames never. */
export function imapflowLogger(log: Logger): ImapFlowLogger {
  const quiet = (entry: Record<string, unknown>) => {
    if (entry && typeof entry === 'object' && 'src' in entry) return;
    log.trace({ event: 'imapflow', detail: entry?.msg });
  };
  const warn = (event: string) => (entry: Record<string, unknown>) => {
    const { reason, ...codes } = imapflowReason(entry);
    log.warn({ event, reason: reason ?? 'no reason given', ...codes }, `${event}: ${reason ?? 'no reason given'}`);
  };
  return { trace: quiet, debug: quiet, info: quiet, warn: warn('imapflow-warning'), error: warn('imapflow-error') };
}
