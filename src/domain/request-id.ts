// Service-request IDs (SR-2026-000123): formatting, parsing and finding the IDs a subject names ([SR-...] tags and
// bare IDs, which customers often type without the brackets).
// Pure: the per-year counter that hands out sequences lives in storage (RequestCounter), not here.

/**
 * A request ID anywhere in text as a whole token (not inside "XSR-2026-000123", "SR-2026-000123-B" or
 * "SR-2026-000123_old"), case-insensitive, with the year and sequence captured; `[SR-2026-000123]` contains one.
 * Not global: build `new RegExp(requestIdPattern.source, 'gi')` for scanning, so no caller shares `lastIndex`.
 * It matches non-canonical spellings too (lower case, 7+ digits with a leading zero); `parseRequestId` rejects those.
 */
export const requestIdPattern = /(?<![\w-])SR-(\d{4})-(\d{6,})(?![\w-])/i;

/** Fewest digits of the sequence; more appear from 1,000,000 on. */
export const requestSequenceMinDigits = 6;

export interface ParsedRequestId {
  /** Canonical form, e.g. SR-2026-000123. */
  requestId: string;
  year: number;
  sequence: number;
}

/**
 * Formats the ID of the `sequence`-th request of `year`: SR-2026-000123.
 *
 * The sequence is zero-padded to 6 digits and simply grows to 7+ digits after 999999 (SR-2026-1000000), so IDs stay
 * numbers a person can read out on the phone. Plain string order therefore holds only up to 999999 per year; order
 * IDs with `compareRequestIds`, which compares year, then sequence, numerically.
 */
export function formatRequestId(year: number, sequence: number): string {
  if (!Number.isInteger(year) || year < 1000 || year > 9999) throw new RangeError(`year must be a 4-digit integer, got ${year}`);
  if (!Number.isSafeInteger(sequence) || sequence < 1) throw new RangeError(`sequence must be a positive integer, got ${sequence}`);
  return `SR-${year}-${String(sequence).padStart(requestSequenceMinDigits, '0')}`;
}

function fromMatch(yearText: string, sequenceText: string): ParsedRequestId | null {
  const year = Number(yearText);
  const sequence = Number(sequenceText);
  if (year < 1000 || sequence < 1 || !Number.isSafeInteger(sequence)) return null;
  const requestId = formatRequestId(year, sequence);
  // Only the canonical spelling of the digits is an ID: SR-2026-0000123 is not SR-2026-000123.
  if (requestId.slice(8) !== sequenceText) return null;
  return { requestId, year, sequence };
}

/**
 * Parses one request ID: the whole text (trimmed) must be an ID, optionally inside one pair of square brackets.
 * Case-insensitive ("sr-2026-000123" is accepted and returned canonical); returns null for anything else.
 */
export function parseRequestId(text: string): ParsedRequestId | null {
  const match = /^(?:\[\s*)?SR-(\d{4})-(\d{6,})(?:\s*\])?$/i.exec(text.trim());
  if (!match) return null;
  const bracketed = text.trim().startsWith('[');
  if (bracketed !== text.trim().endsWith(']')) return null;
  return fromMatch(match[1]!, match[2]!);
}

/**
 * The canonical request IDs a subject names, without repeats: first the `[SR-YYYY-NNNNNN]` tags deskbot writes, then
 * bare IDs ("Re: SR-2026-000123 logs": customers often drop the brackets), each in order of appearance. Both are
 * found by `requestIdPattern` (whole tokens, any case); only the canonical digits count (SR-2026-0000123 is none).
 * A tag comes before a bare ID because a bare ID is more often a mention of another request than our tag is.
 */
export function findRequestIdsInSubject(subject: string): string[] {
  const tagged: string[] = [];
  const bare: string[] = [];
  for (const match of subject.matchAll(new RegExp(requestIdPattern.source, 'gi'))) {
    const parsed = fromMatch(match[1]!, match[2]!);
    if (!parsed) continue;
    const isTag = subject[match.index - 1] === '[' && subject[match.index + match[0].length] === ']';
    (isTag ? tagged : bare).push(parsed.requestId);
  }
  return [...new Set([...tagged, ...bare])];
}

/** A request ID in brackets, as deskbot's subjects carry it (`[SR-2026-000123]`, inner spaces allowed): a RegExp source. */
const requestTag = String.raw`\[\s*${requestIdPattern.source}\s*\]`;

/**
 * A new request's subject without the `[SR-…]` tags in it (a tag that named no ticket of the sender, or another
 * customer's): the new ticket gets its own tag, and a stored foreign one would mislead. Bare IDs are the customer's
 * words ("like SR-2026-000123") and stay.
 */
export function withoutRequestTags(subject: string): string {
  return subject.replace(new RegExp(requestTag, 'gi'), ' ').replace(/\s+/g, ' ').trim();
}

/** The text without the request IDs in it, bracketed (`[ SR-2026-000123 ]`) or bare, canonical or not: each becomes a space. */
export function withoutRequestIds(text: string): string {
  return text.replace(new RegExp(`${requestTag}|${requestIdPattern.source}`, 'gi'), ' ');
}

/**
 * Orders two request IDs by year, then sequence, numerically (SR-2026-999999 before SR-2026-1000000).
 * Throws RangeError for text that is not a request ID.
 */
export function compareRequestIds(a: string, b: string): number {
  const left = parseRequestId(a);
  const right = parseRequestId(b);
  if (!left || !right) throw new RangeError(`not a request ID: "${left ? b : a}"`);
  return left.year - right.year || left.sequence - right.sequence;
}
