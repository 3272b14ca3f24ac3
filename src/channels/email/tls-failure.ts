// What kind of TLS failure an IMAP or SMTP connection error is, so the error can name the setting to change.
// Matching is on OpenSSL's and Node's texts and codes; anything else is not a TLS failure here.

/** wrong-version: implicit TLS against a plain/STARTTLS port; host-mismatch: the certificate names another host. */
export type TlsFailureKind = 'wrong-version' | 'host-mismatch' | 'untrusted';

const wrongVersion = /wrong version number|ERR_SSL_WRONG_VERSION_NUMBER|packet length too long|unknown protocol/i;
const hostMismatch = /ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate's altnames|Hostname\/IP does not match/i;
const untrusted = new RegExp(
  [
    'self[- ]signed',
    'unable to (get|verify) (the )?(local )?issuer',
    'unable to get issuer',
    'unable to verify the first certificate',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'CERT_UNTRUSTED',
  ].join('|'),
  'i',
);

/** The kind of TLS failure `error` reports (its code, message, server text or reason), or undefined. */
export function tlsFailureKind(error: unknown): TlsFailureKind | undefined {
  const failure = error as { message?: string; code?: string; responseText?: string; reason?: string } | undefined;
  const text = [failure?.code, failure?.message, failure?.responseText, failure?.reason, String(error)].filter(Boolean).join(' ');
  if (wrongVersion.test(text)) return 'wrong-version';
  if (hostMismatch.test(text)) return 'host-mismatch';
  if (untrusted.test(text)) return 'untrusted';
  return undefined;
}
