// Reads what a customer wrote (subject + plain-text body) into the facts a request needs: severity, licence numbers,
// product and version, what is still missing, and a short summary. Heuristic on purpose: it never guesses what is not
// written; quoted replies, forwarded headers and signatures are not the customer's words and are ignored.
import { greetingPrefix, isClosingLine } from './salutations.ts';
import type { Licence } from './directory.ts';
import type { RequiredInfoItem, Severity } from './policy.ts';
import { withoutRequestIds } from './request-id.ts';
import { isForwardSubject, stripQuotedText } from './quoted-text.ts';

export { stripQuotedText };

/**
 * Where a severity came from, strongest first:
 * - `number`: an explicit level, "Severity: 4", "Sev 4", "Sev4", "Severity level 4", or "[S4]" in the subject;
 * - `named`: a level named after a severity label, "Severity: Major";
 * - `keyword`: a word in the text (critical 5, major 4, minor 3, question 2, feature request 1);
 * - `none`: nothing found (the ticket uses policy.sla.defaultSeverity and asks).
 */
export const severitySources = ['number', 'named', 'keyword', 'none'] as const;
export type SeveritySource = (typeof severitySources)[number];

export interface RequestDetails {
  severity: Severity | null;
  severitySource: SeveritySource;
  /** Upper-cased, in order of first appearance, without repeats. */
  licenceNumbers: string[];
  /** One of `knownProducts`, spelled as given there. */
  product: string | null;
  /** E.g. "9.4.2", "10.0.1 build 1234", "9.4.2-beta1". */
  version: string | null;
}

export interface ExtractRequestDetailsOptions {
  subject: string;
  /** Plain-text body as received (quoted text and signature are stripped here). */
  body: string;
  /** Product names to recognise, e.g. the products of the customer's licences. */
  knownProducts: readonly string[];
}

export interface MissingInfoContext {
  /**
   * The requesting customer's licences. `null` when there is no customer to check against (a partner asking for an
   * end customer): then any licence number named counts.
   */
  customerLicences: readonly Pick<Licence, 'number' | 'product'>[] | null;
}

/** Longest summary `summarizeDefect` returns, in characters. */
export const summaryMaxLength = 300;

const keywordSeverities: ReadonlyArray<readonly [RegExp, Severity]> = [
  [/^critical$/i, 5],
  [/^major$/i, 4],
  [/^minor$/i, 3],
  [/^(?:questions?|other)$/i, 2],
  [/^feature[\s-]+requests?$/i, 1],
];

function severityOfWord(word: string): Severity | null {
  for (const [pattern, severity] of keywordSeverities) if (pattern.test(word)) return severity;
  return null;
}

// The word the needs-info mail asks with, in each language it is sent in: "Severity", "Schweregrad", "Závažnost", "Allvarlighetsgrad".
const explicitSeverity = /(?<![\p{L}0-9])(?:sev(?:erity)?(?:\s*level)?|schweregrad|závažnost|allvarlighetsgrad)\s*[:=#-]?\s*([1-5])(?!\d|\.\d|\s*[-–]\s*\d)/iu;
const bracketSeverity = /\[\s*S([1-5])\s*\]/i;
const namedSeverity = /(?<![A-Za-z0-9])sev(?:erity)?(?:\s*level)?\s*[:=-]\s*(critical|major|minor|other|questions?|feature[\s-]+requests?)(?![A-Za-z])/i;
const severityWord = /(?<![A-Za-z])(critical|major|minor|questions?|feature[\s-]+requests?)(?![A-Za-z])/gi;
const negationBefore =
  /(?:\b(?:not|no|isn'?t|wasn'?t|aren'?t|never|nothing|without|hardly)(?:\s+(?:a|an|very|really|that|so|too|particularly|overly))*\s*|\bnon-?)$/i;
const notASeverityAfter = /^\s+(?:security\s+)?(?:version|release|upgrade|update|revision|number|change|bump|patch|fix|hotfix)\b/i;

function explicitSeverityIn(text: string): Severity | null {
  const match = explicitSeverity.exec(text);
  return match ? (Number(match[1]) as Severity) : null;
}

/** The highest severity named by a keyword that is not negated ("not critical") nor about versions ("major release"). */
function keywordSeverityIn(text: string): Severity | null {
  let highest: Severity | null = null;
  for (const match of text.matchAll(severityWord)) {
    const before = text.slice(Math.max(0, match.index - 40), match.index);
    const after = text.slice(match.index + match[0].length);
    if (negationBefore.test(before) || notASeverityAfter.test(after)) continue;
    const severity = severityOfWord(match[1]!);
    if (severity !== null && (highest === null || severity > highest)) highest = severity;
  }
  return highest;
}

function severityOf(subject: string, ownBody: string): Pick<RequestDetails, 'severity' | 'severitySource'> {
  const numbered = explicitSeverityIn(subject) ?? bracketOf(subject) ?? explicitSeverityIn(ownBody);
  if (numbered !== null) return { severity: numbered, severitySource: 'number' };
  const named = namedSeverity.exec(subject) ?? namedSeverity.exec(ownBody);
  if (named) return { severity: severityOfWord(named[1]!), severitySource: 'named' };
  const keyword = keywordSeverityIn(`${subject}\n${ownBody}`);
  if (keyword !== null) return { severity: keyword, severitySource: 'keyword' };
  return { severity: null, severitySource: 'none' };
}

function bracketOf(subject: string): Severity | null {
  const match = bracketSeverity.exec(subject);
  return match ? (Number(match[1]) as Severity) : null;
}

const licenceShape = /(?<![A-Za-z0-9-])([A-Za-z0-9]{4}(?:-[A-Za-z0-9]{4}){2,4})(?![A-Za-z0-9-])/g;
const labelledLicence = /\blicen[cs]e(?:\s*(?:number|no\.?|key|id|code|#)\s*[:#]?|\s*:)\s*([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)/gi;

/** Licence numbers: labelled ("Licence number: X") or shaped like 27A3-9F10-4C2B (see extractRequestDetails). */
export function findLicenceNumbers(text: string): string[] {
  const found: { index: number; number: string }[] = [];
  for (const match of text.matchAll(licenceShape)) {
    const candidate = match[1]!;
    if (/[A-Za-z]/.test(candidate) && /\d/.test(candidate)) found.push({ index: match.index, number: candidate.toUpperCase() });
  }
  for (const match of text.matchAll(labelledLicence)) {
    const candidate = match[1]!;
    if (/\d/.test(candidate) && candidate.replace(/-/g, '').length >= 6) {
      found.push({ index: match.index + match[0].length - candidate.length, number: candidate.toUpperCase() });
    }
  }
  found.sort((a, b) => a.index - b.index);
  return [...new Set(found.map((entry) => entry.number))];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A known product name as a whole phrase, any case, any whitespace between its words. */
function productSource(product: string): string {
  return product.trim().split(/\s+/).map(escapeRegExp).join('\\s+');
}

function productIn(text: string, knownProducts: readonly string[]): string | null {
  let best: { index: number; length: number; product: string } | null = null;
  for (const product of knownProducts) {
    if (product.trim() === '') continue;
    const match = new RegExp(`(?<![A-Za-z0-9])${productSource(product)}(?![A-Za-z0-9])`, 'i').exec(text);
    if (!match) continue;
    if (!best || match.index < best.index || (match.index === best.index && match[0].length > best.length)) {
      best = { index: match.index, length: match[0].length, product };
    }
  }
  return best?.product ?? null;
}

const versionCore = String.raw`(\d+(?:\.\d+){0,3}(?:-?(?:rc|beta|alpha|patch|p)\d+|-(?:rc|beta|alpha))?)`;
const versionCoreDotted = String.raw`(\d+(?:\.\d+){1,3}(?:-?(?:rc|beta|alpha|patch|p)\d+|-(?:rc|beta|alpha))?)`;
const buildPart = String.raw`(?:\s*,?\s*\(?\s*build\s*[:#]?\s*(\d+)\s*\)?)?`;
// "verzi"/"verzí": how Czech answers name the version ("používáme verzi 9.4.2"); "Versionsnummer" in German.
const labelledVersion = new RegExp(
  String.raw`(?<![A-Za-z0-9])(?:version(?:snummer)?|verz[eií]|ver\.?)\s*[:#]?\s*v?${versionCore}(?![\d.]*\d)${buildPart}`,
  'i',
);
const vVersion = new RegExp(String.raw`(?<![A-Za-z0-9.])v${versionCoreDotted}(?![\d.]*\d)${buildPart}`, 'i');

function versionFrom(match: RegExpExecArray | null, coreGroup: number): string | null {
  if (!match) return null;
  const build = match[coreGroup + 1];
  return build ? `${match[coreGroup]!} build ${build}` : match[coreGroup]!;
}

function versionIn(text: string, knownProducts: readonly string[]): { index: number; version: string } | null {
  const candidates: { rank: number; index: number; version: string }[] = [];
  for (const product of knownProducts) {
    if (product.trim() === '') continue;
    const pattern = new RegExp(
      String.raw`(?<![A-Za-z0-9])${productSource(product)}\s+(?:(?:version|ver\.?)\s*[:#]?\s*)?v?${versionCoreDotted}(?![\d.]*\d)${buildPart}`,
      'i',
    );
    const match = pattern.exec(text);
    const version = versionFrom(match, 1);
    if (match && version) candidates.push({ rank: 0, index: match.index, version });
  }
  const labelled = labelledVersion.exec(text);
  const labelledText = versionFrom(labelled, 1);
  if (labelled && labelledText) candidates.push({ rank: 1, index: labelled.index, version: labelledText });
  const prefixed = vVersion.exec(text);
  const prefixedText = versionFrom(prefixed, 1);
  if (prefixed && prefixedText) candidates.push({ rank: 2, index: prefixed.index, version: prefixedText });
  candidates.sort((a, b) => a.rank - b.rank || a.index - b.index);
  return candidates[0] ?? null;
}

/**
 * Extracts the request facts from the subject and the customer's own body text (see `stripQuotedText`).
 *
 * Severity: an explicit number wins over words; the subject's number wins over the body's; a number outside 1-5 or
 * given as a range ("severity 1-5") is no severity. A bare "S3" is ignored (AWS S3, Galaxy S4); only "[S3]" in the
 * subject counts. Among free-text words the highest wins: under-rating an outage costs more than over-rating a question,
 * and the engineer can lower it. Negated words ("not critical", "non-critical") and version words ("major release",
 * "minor update", "critical patch") are not severities.
 *
 * Licence numbers: 3-5 dash-separated groups of 4 letters/digits with at least one letter and one digit (so phone
 * numbers like 0800-1234-5678 and hyphenated words are not licences), or any token of 6+ characters with a digit after
 * "Licence number:", "License no.", "Licence #", "Licence key:", "Licence:".
 *
 * Product: the first known product named (subject before body), the longest name when two start at the same place.
 * Version: "<product> 9.4.2" first (the version of the product, not of the OS), then "version 9.4"/"Version: 10.0.1
 * build 1234"/"ver. 9", then "v9.4" (needs a dot, so "V8" is no version); subject before body within each kind.
 */
export function extractRequestDetails(options: ExtractRequestDetailsOptions): RequestDetails {
  const { subject, ownBody, text } = requestText(options.subject, options.body);
  const subjectVersion = versionIn(subject, options.knownProducts);
  const bodyVersion = versionIn(ownBody, options.knownProducts);
  return {
    ...severityOf(subject, ownBody),
    licenceNumbers: findLicenceNumbers(text),
    product: productIn(subject, options.knownProducts) ?? productIn(ownBody, options.knownProducts),
    version: (subjectVersion ?? bodyVersion)?.version ?? null,
  };
}

/** The subject on one line, the customer's own words of the body, and both as one text. */
function requestText(rawSubject: string, body: string): { subject: string; ownBody: string; text: string } {
  const subject = rawSubject.replace(/\s+/g, ' ').trim();
  const ownBody = stripQuotedText(body, { forwarded: isForwardSubject(rawSubject) });
  return { subject, ownBody, text: `${subject}\n${ownBody}` };
}

/** The licence numbers extractRequestDetails reports, found without the product list (to look the sender up first). */
export function licenceNumbersIn(subject: string, body: string): string[] {
  return findLicenceNumbers(requestText(subject, body).text);
}

/** A licence number as every comparison reads it: case and spaces do not count. */
export function normalizeLicenceNumber(number: string): string {
  return number.replace(/\s+/g, '').toUpperCase();
}

/**
 * The licence a request is about: the first of the customer's licences the message names, else the customer's only
 * licence. Undefined when the customer has several and names none of them.
 */
export function identifiedLicence<T extends Pick<Licence, 'number'>>(named: readonly string[], customerLicences: readonly T[]): T | undefined {
  const wanted = named.map(normalizeLicenceNumber);
  for (const number of wanted) {
    const licence = customerLicences.find((candidate) => normalizeLicenceNumber(candidate.number) === number);
    if (licence) return licence;
  }
  return customerLicences.length === 1 ? customerLicences[0] : undefined;
}

/**
 * The items of `required` (policy.requiredInfo, kept in its order) the request still lacks.
 * - severity: present when any severity was found (a keyword is the customer's own rating, as the terms ask for);
 * - licence: present when the message names one of the customer's licences, or the customer has exactly one licence
 *   (nothing to choose); for a partner (`customerLicences: null`) any licence number named counts;
 * - product: present when named, or when the identified licence (named or only) tells it;
 * - version: present when found.
 */
export function missingInfo(details: RequestDetails, required: readonly RequiredInfoItem[], context: MissingInfoContext): RequiredInfoItem[] {
  const licence = context.customerLicences === null ? undefined : identifiedLicence(details.licenceNumbers, context.customerLicences);
  const present: Record<RequiredInfoItem, boolean> = {
    severity: details.severity !== null,
    licence: context.customerLicences === null ? details.licenceNumbers.length > 0 : licence !== undefined,
    product: details.product !== null || licence !== undefined,
    version: details.version !== null,
  };
  return required.filter((item, index) => !present[item] && required.indexOf(item) === index);
}

const replyPrefix = /^\s*(?:(?:re|fwd?|aw|wg|sv|vs|tr|antw)\s*(?:\[\d+\])?\s*:\s*)+/i;

/** A subject's topic: without reply and forward prefixes ("Re:", "AW:", "SV[2]:") and request IDs, white space folded. */
export function plainSubject(subject: string): string {
  return withoutRequestIds(subject.replace(replyPrefix, '')).replace(/\s+/g, ' ').trim();
}
/** A name alone on a line, as a sign-off without a closing: "Lars", "Jane Doe", "- J. Smith". */
const nameLine = /^[-–—~]*\s*(\p{Lu}(?:\.|[\p{L}'-]*)(?:\s+\p{Lu}(?:\.|[\p{L}'-]*)){0,2})$/u;

/** The words a sender may sign with: their display names and the parts of their address's local part, lower case. */
function signOffWords(senderNames: readonly string[]): Set<string> {
  return new Set(
    senderNames
      .flatMap((name) => name.split(/[\s.@_+-]+/))
      .map((word) => word.toLowerCase())
      .filter((word) => word.length > 1),
  );
}

/**
 * The text without a trailing sign-off: the last line when it is only a name with a word of the sender's own name
 * (so "Since Monday" stays), after a blank line or a finished sentence ("…all users are down.\nLars").
 */
function withoutSignOff(lines: string[], senderNames: readonly string[]): string[] {
  let end = lines.length;
  while (end > 0 && lines[end - 1] === '') end -= 1;
  const name = nameLine.exec(lines[end - 1] ?? '')?.[1];
  const before = lines[end - 2];
  if (end < 2 || !name || before === undefined || !(before === '' || /[.!?:)]$/.test(before))) return lines.slice(0, end);
  const words = signOffWords(senderNames);
  const signed = name.split(/\s+/).some((word) => words.has(word.replace(/\.$/, '').toLowerCase()));
  return signed ? lines.slice(0, end - 1) : lines.slice(0, end);
}

function truncateAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.-]+$/, '')}…`;
}

/**
 * The defect as understood, for the acknowledgement and the Slack card: the subject (without Re:/Fwd: and request IDs,
 * [SR-...] tags or bare) followed by the first whole sentences of the customer's own text (no quotes, no signature, no
 * greeting, nothing after a closing like "Thanks,", no last line that is only the sender's name: `senderNames` are their
 * display name and address), at most `summaryMaxLength` characters. The first sentence is cut at a word with "…"
 * only when not even it fits.
 */
export function summarizeDefect(subject: string, body: string, senderNames: readonly string[] = []): string {
  const cleanSubject = truncateAtWord(plainSubject(subject), summaryMaxLength);
  const lines: string[] = [];
  let greeted = false;
  for (const rawLine of stripQuotedText(body, { forwarded: isForwardSubject(subject) }).split('\n')) {
    const line = rawLine.trim();
    if (lines.length === 0 && greetingPrefix(line, true) !== null) {
      greeted = true;
      continue;
    }
    if (isClosingLine(line)) break;
    lines.push(line);
  }
  const paragraphs = withoutSignOff(lines, senderNames)
    .join('\n')
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.replace(/\s+/g, ' ').trim())
    .filter((paragraph) => paragraph !== '');
  // After a greeting the text starts in mid-sentence case ("Hallo,\n\nder Tunnel…"): its first letter becomes a capital.
  const greeting = paragraphs[0] ? greetingPrefix(paragraphs[0]) : null;
  if (paragraphs[0] && (greeted || greeting !== null)) {
    const rest = paragraphs[0].slice(greeting?.length ?? 0);
    paragraphs[0] = rest.charAt(0).toUpperCase() + rest.slice(1);
  }
  const sentences = paragraphs
    .flatMap((paragraph) => paragraph.split(/(?<=[.!?])\s+(?=["'([]?[A-Z0-9])/))
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence !== '');
  if (sentences[0] && sentences[0].replace(/[.!?]+$/, '').toLowerCase() === cleanSubject.toLowerCase()) sentences.shift();

  let summary = cleanSubject;
  const separator = (text: string): string => (text === '' ? '' : /[.!?:…]$/.test(text) ? ' ' : '. ');
  for (const [index, sentence] of sentences.entries()) {
    // A line that ended in a comma or semicolon ends a sentence here: "…," + ". " would read ",.".
    summary = summary.replace(/[,;]+$/, '');
    const next = `${summary}${separator(summary)}${sentence}`;
    if (next.length <= summaryMaxLength) {
      summary = next;
      continue;
    }
    if (index === 0) {
      const room = summaryMaxLength - summary.length - separator(summary).length;
      if (room >= 20) summary = `${summary}${separator(summary)}${truncateAtWord(sentence, room)}`;
    }
    break;
  }
  return summary;
}
