// Turns one raw RFC 822 message into the facts intake needs (sender, threading IDs, text, attachment metadata, a
// delivery report's original Message-IDs), repairing what can be repaired. Deliberately leaves out every decision.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { MailParser, type AttachmentStream, type EmailAddress, type HeaderLines, type Headers, type MessageText, type StructuredHeader } from 'mailparser';
import { normalizeAddress } from '../../domain/eligibility.ts';
import { capSubject, neutraliseCustomerLine, neutraliseCustomerText } from '../../domain/mail/customer-text.ts';
import { headerBlockOf, headerValue, type MailHeaders } from '../../domain/mail/headers.ts';
import { isForwardSubject } from '../../domain/quoted-text.ts';
import { attachmentReader, maxHtmlToConvert, noAttachmentContent, parseSliceBytes, parserOptions, slices } from './parse-stream.ts';
import { replyText } from './reply-text.ts';

import type {
  AttachmentContentReader,
  AttachmentSummary,
  DeliveryReport,
  MailAddress,
  MailParser as MailParserPort,
  ParsedMail,
  UnusableReason,
} from '../../app/parsed-mail.ts';

export type { AttachmentSummary, DeliveryReport, MailAddress, ParsedMail, UnusableReason } from '../../app/parsed-mail.ts';
export { unusableReasons } from '../../app/parsed-mail.ts';

/** Content types whose content is read (bounded) to link a bounce; every other attachment is counted and dropped. */
const reportPartTypes = new Set([
  'message/delivery-status',
  'text/rfc822-headers',
  'message/rfc822-headers',
  'message/global-delivery-status',
  'message/global-headers',
]);
const maxReportBytes = 256 * 1024;
/** Most of a raw body scanned for returned Message-IDs of a bounce. */
const maxBounceScanBytes = 1024 * 1024;

/** A stable Message-ID for a message that has none: the SHA-256 of its raw bytes, so a redelivery de-duplicates. */
export function syntheticMessageId(raw: Buffer): string {
  return `<sha256.${createHash('sha256').update(raw).digest('hex')}@synthetic.deskbot.invalid>`;
}

/** The Message-IDs (`<...>`) in a header value, in order, without repeats. */
export function messageIdsIn(value: string): string[] {
  return [...new Set(value.match(/<[^<>\s]+>/g) ?? [])];
}

/** PostgreSQL text cannot hold NUL, and lone surrogates do not survive UTF-8: drop both. */
function cleanText(text: string): string {
  return text.replace(/\u0000/g, '').replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function headersOf(lines: HeaderLines): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (const { key, line } of lines) {
    if (!key) continue;
    const colon = line.indexOf(':');
    // Raw header text is bytes in a string (UTF-8 continuation bytes fall in the C1 range): only C0 controls and DEL go.
    const value = cleanText(line.slice(colon + 1))
      .replace(/\r?\n[ \t]+/g, ' ')
      .replace(/[\u0000-\u0008\u000A-\u001F\u007F]/g, ' ')
      .trim();
    const list = headers.get(key.toLowerCase()) ?? [];
    list.push(value);
    headers.set(key.toLowerCase(), list);
  }
  return headers;
}

interface Collected {
  headerLines: HeaderLines;
  structured: Headers;
  text: string;
  html: string;
  attachments: AttachmentSummary[];
  reportParts: string[];
  repairs: string[];
}

/** Runs mailparser over the whole message: text kept, attachments counted and released without keeping content. */
function collect(raw: Buffer): Promise<Collected> {
  return new Promise((resolve, reject) => {
    const parser = new MailParser(parserOptions);
    const collected: Collected = { headerLines: [], structured: new Map(), text: '', html: '', attachments: [], reportParts: [], repairs: [] };
    let failed = false;
    parser.on('headers', (headers: Headers) => {
      collected.structured = headers;
    });
    parser.on('headerLines', (lines: HeaderLines) => {
      collected.headerLines = lines;
    });
    parser.on('data', (data: AttachmentStream | MessageText) => {
      if (data.type === 'text') {
        collected.text = data.text ?? '';
        collected.html = typeof data.html === 'string' ? data.html : '';
        return;
      }
      const summary: AttachmentSummary = {
        filename: data.filename ? neutraliseCustomerLine(cleanText(data.filename)) : null,
        contentType: data.contentType,
        size: 0,
        sha256: '',
      };
      collected.attachments.push(summary);
      const keep = reportPartTypes.has(data.contentType.toLowerCase());
      const chunks: Buffer[] = [];
      const hash = createHash('sha256');
      let kept = 0;
      data.content.on('data', (chunk: Buffer) => {
        summary.size += chunk.length;
        hash.update(chunk);
        if (keep && kept < maxReportBytes) {
          chunks.push(chunk);
          kept += chunk.length;
        }
      });
      data.content.on('end', () => {
        summary.sha256 = hash.digest('hex');
        if (keep) collected.reportParts.push(Buffer.concat(chunks).toString('utf8'));
        data.release();
      });
    });
    parser.on('error', (error: Error) => {
      // HTML too long to convert, or unconvertible: mailparser says so and carries on to 'end'.
      if (/HTML/.test(error.message)) {
        collected.repairs.push('html-too-long');
        return;
      }
      failed = true;
      reject(error);
    });
    parser.on('end', () => {
      if (!failed) resolve(collected);
    });
    // Fed in slices with back-pressure (views, no copies): a large attachment is decoded and dropped a chunk at a
    // time instead of the whole message being split and decoded in one go.
    Readable.from(slices(raw, parseSliceBytes)).on('error', reject).pipe(parser);
  });
}

/** HTML as plain text, by mailparser's own converter (a one-part text/html message is converted whole). */
async function htmlToText(html: string): Promise<string> {
  if (html.length > maxHtmlToConvert) return '';
  const message = Buffer.concat([Buffer.from('Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'), Buffer.from(html)]);
  return (await collect(message)).text;
}

function contentTypeOf(structured: Headers): StructuredHeader | null {
  const value = structured.get('content-type');
  return value && typeof value === 'object' && 'value' in value && 'params' in value ? (value as StructuredHeader) : null;
}

/**
 * A multipart message without a boundary parameter parses to nothing: guess the boundary from the first `--token`
 * line of the body, or failing that read the body as plain text.
 */
function repairedMultipart(raw: Buffer): { raw: Buffer; repair: string } {
  const header = headerBlockOf(raw);
  const body = raw.subarray(header.length);
  const bodyText = body.toString('latin1');
  const boundary = /^--([^\s]{1,200}?)\s*$/m.exec(bodyText)?.[1];
  const contentType = boundary ? `Content-Type: multipart/mixed; boundary="${boundary.replace(/"/g, '')}"` : 'Content-Type: text/plain; charset=utf-8';
  let headerText = header.toString('latin1').replace(/^Content-Type:.*(?:\r?\n[ \t].*)*\r?\n/im, '');
  if (!boundary) headerText = headerText.replace(/^Content-Transfer-Encoding:.*(?:\r?\n[ \t].*)*\r?\n/im, '');
  return {
    raw: Buffer.concat([Buffer.from(`${contentType}\r\n`, 'latin1'), Buffer.from(headerText, 'latin1'), body]),
    repair: boundary ? 'boundary-guessed' : 'body-as-text',
  };
}

function flattenAddresses(value: unknown): EmailAddress[] {
  if (!value || typeof value !== 'object') return [];
  const objects = Array.isArray(value) ? value : [value];
  return objects.flatMap((object: { value?: EmailAddress[] }) => (object.value ?? []).flatMap((entry) => (entry.group ? entry.group : [entry])));
}

function toMailAddress(entry: EmailAddress): MailAddress | null {
  const address = entry.address ? normalizeAddress(entry.address) : null;
  return address ? { address, name: entry.name ? neutraliseCustomerLine(cleanText(entry.name)) || null : null } : null;
}

/** RFC 2047 encoded-words; an address may never come out of one (RFC 2047 5: not in an addr-spec). */
const encodedWordPattern = /=\?[^?\s]+\?[bq]\?[^?\s]*\?=/gi;

/**
 * Whether the address's local part and `@` are written in the From header itself, outside encoded-words, quoted strings
 * (a display name) and comments.
 */
function writtenLiterally(rawFrom: string, address: string): boolean {
  const localAndAt = address.slice(0, address.lastIndexOf('@') + 1);
  // Header lines come as bytes in a string; raw UTF-8 (RFC 6532: josé@) is read as UTF-8 for the comparison.
  const asUtf8 = /^[\u0000-\u00ff]*$/.test(rawFrom) ? Buffer.from(rawFrom, 'latin1').toString('utf8') : rawFrom;
  return [rawFrom, asUtf8].some((text) => withoutQuotedAndComments(text).replace(encodedWordPattern, ' ').normalize('NFC').toLowerCase().includes(localAndAt));
}

/** A header value with quoted strings emptied and (unnested) comments replaced by a space. */
function withoutQuotedAndComments(value: string): string {
  return value.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\((?:[^()\\]|\\.)*\)/g, ' ');
}

/** Angle-address count of a header value outside quoted strings and comments ("A <a@x> <b@y>" is two). */
function angleAddressCount(value: string): number {
  return (withoutQuotedAndComments(value).match(/</g) ?? []).length;
}

/**
 * The sender: exactly one parseable From mailbox. Several mailboxes, or one with two angle addresses
 * ("Ana <ops@acme.example> <attacker@evil.example>", read differently by different parsers), are ambiguous.
 */
function senderOf(structured: Headers, headers: MailHeaders): { from: MailAddress | null; problem: UnusableReason | null } {
  const rawFrom = headers.get('from') ?? [];
  const entries = flattenAddresses(structured.get('from'));
  if (rawFrom.length === 0 || entries.length === 0) return { from: null, problem: 'no-sender' };
  if (rawFrom.length > 1 || entries.length > 1 || angleAddressCount(rawFrom[0]!) > 1) return { from: null, problem: 'sender-ambiguous' };
  const from = toMailAddress(entries[0]!);
  // "=?utf-8?B?...?=" decoding to "Ana <ops@acme.example>" is a display name to other readers: an address that only
  // appears after decoding is no address (issue 13 point 12).
  return from && writtenLiterally(rawFrom[0]!, from.address) ? { from, problem: null } : { from: null, problem: 'sender-invalid' };
}

function normalizeMessageId(value: string | undefined): string | null {
  const ids = value ? messageIdsIn(value) : [];
  if (ids[0] && ids[0].length <= 900) return ids[0];
  const bare = value?.trim();
  return bare && /^[^<>\s]+@[^<>\s]+$/.test(bare) && bare.length <= 900 ? `<${bare}>` : null;
}

const returnedIdPattern = /^(?:X-Original-Message-ID|Original-Message-ID|Message-ID)[ \t]*:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]+>)/gim;

/**
 * The delivery report of a bounce, or null. A report is multipart/report; report-type=delivery-status, or has a
 * message/delivery-status part, or comes from MAILER-DAEMON/postmaster (many MTAs bounce in plain text). The returned
 * Message-IDs are read from the report parts and from the raw body (the returned message's headers).
 */
function deliveryReportOf(raw: Buffer, collected: Collected, from: MailAddress | null, ownMessageId: string | null): DeliveryReport | null {
  const contentType = contentTypeOf(collected.structured);
  const isReport =
    (contentType?.value.toLowerCase() === 'multipart/report' && (contentType.params['report-type'] ?? '').toLowerCase().includes('delivery-status')) ||
    collected.attachments.some((attachment) => /^message\/(global-)?delivery-status$/i.test(attachment.contentType));
  const fromDaemon = from !== null && /^(mailer-daemon|postmaster)@/i.test(from.address);
  if (!isReport && !fromDaemon) return null;
  const body = raw.subarray(headerBlockOf(raw).length, headerBlockOf(raw).length + maxBounceScanBytes).toString('latin1');
  const scanned = [...collected.reportParts, body].join('\n');
  const originalMessageIds = [...new Set([...scanned.matchAll(returnedIdPattern)].map((match) => match[1]!))].filter((id) => id !== ownMessageId);
  const recipients = [
    ...new Set(
      [...scanned.matchAll(/^Final-Recipient[ \t]*:[ \t]*[^;\r\n]*;[ \t]*([^\s]+)/gim)]
        .map((match) => normalizeAddress(match[1]!))
        .filter((address) => address !== null),
    ),
  ];
  const action = /^Action[ \t]*:[ \t]*([A-Za-z-]+)/im.exec(scanned)?.[1]?.toLowerCase() ?? 'failed';
  const status = /^Status[ \t]*:[ \t]*(\d\.\d{1,3}\.\d{1,3})/im.exec(scanned)?.[1] ?? null;
  return { originalMessageIds, recipients, action, status };
}

function fromCollected(raw: Buffer, collected: Collected, text: string, readAttachments: AttachmentContentReader): ParsedMail {
  const headers = headersOf(collected.headerLines);
  const { from, problem } = senderOf(collected.structured, headers);
  const addressesOf = (header: string) =>
    flattenAddresses(collected.structured.get(header))
      .map(toMailAddress)
      .filter((address) => address !== null);
  const replyTo = addressesOf('reply-to');
  const headerMessageId = normalizeMessageId(headerValue(headers, 'message-id'));
  const subjectValue = collected.structured.get('subject');
  const subject = capSubject(neutraliseCustomerLine(cleanText(typeof subjectValue === 'string' ? subjectValue : '')));
  const deliveryReport = deliveryReportOf(raw, collected, from, headerMessageId);
  const hasContent = subject !== '' || text.trim() !== '' || collected.attachments.length > 0;
  return {
    messageId: headerMessageId ?? syntheticMessageId(raw),
    messageIdSynthetic: headerMessageId === null,
    headers,
    from,
    replyTo,
    to: addressesOf('to'),
    cc: addressesOf('cc'),
    subject,
    inReplyTo: messageIdsIn((headers.get('in-reply-to') ?? []).join(' ')),
    references: messageIdsIn((headers.get('references') ?? []).join(' ')),
    text,
    // A forward's text is what the sender sends us (a user's complaint, a log): none of it is quoted history.
    newText: text === '' ? '' : isForwardSubject(subject) ? text.trim() : replyText(text),
    attachments: collected.attachments,
    readAttachments,
    deliveryReport,
    rawSize: raw.length,
    repairs: collected.repairs,
    unusable: problem ?? (hasContent ? null : 'no-content'),
  };
}

/**
 * Parses a whole message (the caller enforces the size cap). Never throws for bad mail: a message mailparser cannot
 * read comes back with `unusable: 'unparseable'` and whatever its header block still gives (Message-ID, sender).
 * Non-UTF-8 charsets are decoded by mailparser (iconv-lite, encoding-japanese); HTML-only mail is converted to text.
 */
export async function parseMessage(raw: Buffer): Promise<ParsedMail> {
  let source = raw;
  let collected: Collected;
  try {
    collected = await collect(source);
    const contentType = contentTypeOf(collected.structured);
    const empty = collected.text.trim() === '' && collected.html.trim() === '' && collected.attachments.length === 0;
    if (empty && contentType?.value.toLowerCase().startsWith('multipart/') && !contentType.params.boundary) {
      const repaired = repairedMultipart(raw);
      source = repaired.raw;
      collected = await collect(source);
      collected.repairs.push(repaired.repair);
      // Headers as the sender wrote them, not as repaired.
      collected.headerLines = (await collect(headerBlockOf(raw))).headerLines;
    }
  } catch {
    return unparseable(raw);
  }
  let text = cleanText(collected.text);
  if (text.trim() === '' && collected.html.trim() !== '') {
    text = cleanText(await htmlToText(collected.html).catch(() => '')).replace(/\u00a0/g, ' ');
    collected.repairs.push('html-converted');
  }
  return fromCollected(raw, collected, neutraliseCustomerText(text), attachmentReader(source));
}

async function unparseable(raw: Buffer): Promise<ParsedMail> {
  const partial = await parseHeaders(headerBlockOf(raw)).catch(() => null);
  const messageId = partial && !partial.messageIdSynthetic ? partial.messageId : syntheticMessageId(raw);
  return {
    messageId,
    messageIdSynthetic: messageId !== partial?.messageId,
    headers: partial?.headers ?? new Map(),
    from: partial?.from ?? null,
    replyTo: partial?.replyTo ?? [],
    to: partial?.to ?? [],
    cc: partial?.cc ?? [],
    subject: partial?.subject ?? '',
    inReplyTo: partial?.inReplyTo ?? [],
    references: partial?.references ?? [],
    text: '',
    newText: '',
    attachments: [],
    readAttachments: noAttachmentContent,
    deliveryReport: null,
    rawSize: raw.length,
    repairs: [],
    unusable: 'unparseable',
  };
}

/**
 * Parses only a header block (an over-cap message whose body was never fetched). The synthetic Message-ID, when
 * needed, is derived from the header bytes, which stay the same on redelivery.
 */
export async function parseHeaders(headerBlock: Buffer): Promise<ParsedMail> {
  const block = headerBlockOf(headerBlock);
  const collected = await collect(Buffer.concat([block, Buffer.from('\r\n')]));
  const parsed = fromCollected(block, collected, '', noAttachmentContent);
  return { ...parsed, unusable: parsed.unusable === 'no-content' ? null : parsed.unusable };
}

/** The MailParser port (app/parsed-mail.ts) over mailparser. */
export const mailParser: MailParserPort = { parse: parseMessage, parseHeaders, syntheticMessageId };
