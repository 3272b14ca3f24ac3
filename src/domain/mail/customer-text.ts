// What customers send, made safe to reuse (issue 13 points 10, 11, 13): bidirectional overrides and control
// characters neutralised before subjects, names and text reach mail headers, Slack or logs; subjects capped; our
// own address recognised with a +tag. Pure string rules; reading mail is channels/email, deciding is app/.
import { normalizeAddress } from '../eligibility.ts';
import { findRequestIdsInSubject } from '../request-id.ts';

/** Longest subject deskbot reuses (acknowledgement headers, Slack, the ticket); a long subject is cut to this. */
export const maxSubjectLength = 250;

/**
 * Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and the Arabic letter mark, which
 * can make text display in another order than it reads ("Trojan Source", CVE-2021-42574); always removed.
 */
const bidiControls = /[\u202A-\u202E\u2066-\u2069\u061C]/g;
/** C0 controls but TAB and LF, DEL, and C1 controls (NUL among them); removed. */
const controlCharacters = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
/** Line breaks of every kind, for text that must stay on one line (a header, a Slack field, a log value). */
const lineBreaks = /\r\n?|[\n\u0085\u2028\u2029]/g;

/**
 * Multi-line customer text (a message body) without bidi controls or control characters; line breaks become `\n`
 * (CR LF, CR, NEL and the Unicode line and paragraph separators), TAB stays.
 */
export function neutraliseCustomerText(text: string): string {
  return text.replace(lineBreaks, '\n').replace(bidiControls, '').replace(controlCharacters, '');
}

/**
 * One-line customer text (a subject, a display name, a file name): as `neutraliseCustomerText`, then every line break
 * and TAB a space, runs of white space one space, trimmed. Nothing can start a new header line or a new log line.
 */
export function neutraliseCustomerLine(text: string): string {
  return neutraliseCustomerText(text)
    .replace(/[\t\n]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * A subject within `maxLength` characters (code points, so no surrogate pair is split): cut with an ellipsis, and the
 * request IDs that the cut removed (tags or bare, see findRequestIdsInSubject) appended again as `[SR-YYYY-NNNNNN]`
 * tags, so a reply still threads by them.
 */
export function capSubject(subject: string, maxLength = maxSubjectLength): string {
  const characters = [...subject];
  if (characters.length <= maxLength) return subject;
  const keptTags = new Set(findRequestIdsInSubject(characters.slice(0, maxLength).join('')));
  const lostTags = findRequestIdsInSubject(subject).filter((tag) => !keptTags.has(tag));
  const suffix = `…${lostTags.map((tag) => ` [${tag}]`).join('')}`;
  const room = Math.max(maxLength - [...suffix].length, 0);
  return `${characters.slice(0, room).join('').trimEnd()}${suffix}`;
}

/** The local part without its sub-address (`support+billing` → `support`), per RFC 5233's `+` separator. */
function withoutSubaddress(localPart: string): string {
  const plus = localPart.indexOf('+');
  return plus === -1 ? localPart : localPart.slice(0, plus);
}

/**
 * Whether a normalised address is our own support address, also with a `+tag` (`support+anything@our domain`), on
 * either side. Compared case-insensitively; the domain must be the same. Used to recognise our own mail coming back.
 */
export function isOwnAddress(address: string | null, supportAddress: string): boolean {
  const split = (value: string | null) => {
    const normalised = value === null ? null : normalizeAddress(value);
    if (normalised === null) return null;
    const at = normalised.lastIndexOf('@');
    return { local: withoutSubaddress(normalised.slice(0, at)), domain: normalised.slice(at + 1) };
  };
  const given = split(address);
  const ours = split(supportAddress);
  return given !== null && ours !== null && given.local === ours.local && given.domain === ours.domain;
}
