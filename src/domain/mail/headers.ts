// The header block of an RFC 5322 message and its header map: where the headers end, and reading one value.
// Shared by the mail pipe (which keeps only the headers of an oversized message) and the parser; no decoding here.

/** Header values by lower-cased name, topmost first, unfolded but not decoded (RFC 5322 2.2.3). */
export type MailHeaders = ReadonlyMap<string, readonly string[]>;

/** First value of a header, or undefined. */
export function headerValue(headers: MailHeaders, name: string): string | undefined {
  return headers.get(name.toLowerCase())?.[0];
}

/**
 * Where the header block ends (RFC 5322 2.1): `headersEnd` just after the last header line's line break, `bodyStart`
 * just after the empty line; the first empty line wins, CRLF or bare LF. Null when there is no empty line.
 */
export function headerBlockBounds(raw: Buffer): { headersEnd: number; bodyStart: number } | null {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf === -1 && lf === -1) return null;
  if (lf === -1 || (crlf !== -1 && crlf < lf)) return { headersEnd: crlf + 2, bodyStart: crlf + 4 };
  return { headersEnd: lf + 1, bodyStart: lf + 2 };
}

/** The header lines of a raw message, without the empty line that ends them (all of it when there is none). */
export function headerBlockOf(raw: Buffer): Buffer {
  const bounds = headerBlockBounds(raw);
  return bounds ? raw.subarray(0, bounds.headersEnd) : raw;
}

/** The header block with its ending empty line, cut at `maxBytes` (all of `head`, so cut, when there is none). */
export function headerBlockWithBlankLine(head: Buffer, maxBytes: number): Buffer {
  const bounds = headerBlockBounds(head);
  return head.subarray(0, Math.min(bounds ? bounds.bodyStart : head.length, maxBytes));
}
