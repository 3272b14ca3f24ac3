// Who a message is really from: bare addresses and domains normalised for comparison (IDNA, case), and the sender
// authentication verdicts of Authentication-Results (RFC 8601) with DMARC-style alignment. Deciding eligibility is eligibility.ts.
import { domainToASCII } from 'node:url';

/** Result values of RFC 8601 section 2.7 for dkim, spf and dmarc. */
export const authResults = ['pass', 'fail', 'softfail', 'neutral', 'none', 'temperror', 'permerror', 'policy'] as const;
export type AuthResult = (typeof authResults)[number];

/** Sender-authentication verdicts of one message, as parsed from Authentication-Results (RFC 8601). */
export interface AuthenticationVerdicts {
  dmarc?: AuthResult;
  dkim?: AuthResult;
  spf?: AuthResult;
  /** The From domain DMARC evaluated (header.from). Unknown when absent. */
  dmarcDomain?: string;
  /** Signing domains (header.d, else the domain of header.i) of the DKIM signatures that passed. Unknown when absent. */
  dkimDomains?: string[];
  /** Domain SPF checked (of smtp.mailfrom, else smtp.helo). Unknown when absent. */
  spfDomain?: string;
}

/** IDNA-normalises a domain: trimmed, trailing dot dropped, lower-cased, Unicode labels to punycode. Null if invalid. */
export function normalizeDomain(domain: string): string | null {
  const trimmed = domain.trim().replace(/\.$/, '');
  if (trimmed === '' || /[\s@<>,;"()[\]\\]/.test(trimmed)) return null;
  const ascii = domainToASCII(trimmed.normalize('NFC'));
  return ascii === '' ? null : ascii;
}

/**
 * Normalises a bare address for comparison, or returns null when the text is not one.
 *
 * The local part is compared case-insensitively (lower-cased after Unicode NFC). RFC 5321 lets a receiving host treat
 * it as case-sensitive, but practically every provider does not, and our directory stores addresses lower-cased; a
 * look-alike that differs only in case is the same mailbox. Sub-addresses ("jane+x@") are NOT folded: that is
 * provider-specific and would widen who counts as the caller. The domain is IDNA-normalised (`normalizeDomain`).
 * Anything with a display name, angle brackets inside, spaces, quotes or several addresses is refused: the caller
 * must pass the parsed address, and a display name must never reach a match.
 */
export function normalizeAddress(address: string): string | null {
  let text = address.trim();
  if (text.startsWith('<') && text.endsWith('>')) text = text.slice(1, -1).trim();
  if (text === '' || /[\s<>,;"()[\]\\]/.test(text)) return null;
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) return null;
  const local = text.slice(0, at);
  if (local.includes('@')) return null;
  const domain = normalizeDomain(text.slice(at + 1));
  return domain === null ? null : `${local.normalize('NFC').toLowerCase()}@${domain}`;
}

/** The domain part of a bare address. */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}

/**
 * Whether an authenticated identifier's domain is aligned with the From domain: equal, or one a subdomain of the
 * other (DMARC relaxed alignment, RFC 7489 3.1, approximated without the Public Suffix List; the approximation can only
 * widen to a registry suffix such as co.uk, which nobody can sign for or publish SPF under).
 */
function aligned(identifierDomain: string, fromDomain: string): boolean {
  const identifier = normalizeDomain(identifierDomain);
  if (identifier === null) return false;
  return identifier === fromDomain || identifier.endsWith(`.${fromDomain}`) || fromDomain.endsWith(`.${identifier}`);
}

/**
 * The authentication rule of `authRequired`, for the sender's domain:
 * 1. DMARC `fail` refuses the message, whatever DKIM and SPF say.
 * 2. DMARC `pass` (for the sender's domain, when header.from is known) accepts it.
 * 3. Otherwise (no DMARC record, temperror, ...) it is accepted only if DKIM or SPF passed for a domain aligned with
 *    the sender's (when the verdict names the domain); a pass for some unrelated domain proves nothing about the From.
 */
export function isSenderAuthenticated(verdicts: AuthenticationVerdicts, senderDomain: string): boolean {
  const fromDomain = normalizeDomain(senderDomain);
  if (fromDomain === null) return false;
  if (verdicts.dmarc === 'fail') return false;
  if (verdicts.dmarc === 'pass' && (verdicts.dmarcDomain === undefined || normalizeDomain(verdicts.dmarcDomain) === fromDomain)) return true;
  const dkimPass = verdicts.dkim === 'pass' && (verdicts.dkimDomains === undefined || verdicts.dkimDomains.some((domain) => aligned(domain, fromDomain)));
  const spfPass = verdicts.spf === 'pass' && (verdicts.spfDomain === undefined || aligned(verdicts.spfDomain, fromDomain));
  return dkimPass || spfPass;
}

/**
 * Whether a message's sender passes the configured authentication rule (issue 13 point 16). Strict (`authRequired`):
 * `isSenderAuthenticated`. Default: refused only when the trusted receiving server recorded `dmarc=fail` (the domain
 * owner asked for such mail to be rejected); mail without Authentication-Results, or with any other verdict, passes.
 */
export function isSenderAccepted(verdicts: AuthenticationVerdicts, senderDomain: string, authRequired: boolean): boolean {
  return authRequired ? isSenderAuthenticated(verdicts, senderDomain) : verdicts.dmarc !== 'fail';
}

/** Replaces RFC 5322 comments (nestable parentheses) by a space, leaving quoted strings alone. */
function withoutComments(text: string): string {
  let result = '';
  let depth = 0;
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index]!;
    if (char === '\\' && (quoted || depth > 0)) {
      if (depth === 0) result += char + (text[index + 1] ?? '');
      index += 1;
      continue;
    }
    if (depth === 0 && char === '"') quoted = !quoted;
    if (!quoted && char === '(') {
      depth += 1;
      continue;
    }
    if (!quoted && depth > 0 && char === ')') {
      depth -= 1;
      if (depth === 0) result += ' ';
      continue;
    }
    if (depth === 0) result += char;
  }
  return result;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index]!;
    if (char === '\\' && quoted) {
      current += char + (text[index + 1] ?? '');
      index += 1;
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (char === separator && !quoted) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}

function unquote(value: string): string {
  return value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
}

interface ResultInfo {
  method: string;
  result: AuthResult;
  properties: Map<string, string>;
}

function parseHeader(headerValue: string): { authServId: string; results: ResultInfo[] } | null {
  const parts = splitOutsideQuotes(withoutComments(headerValue.replace(/^\s*Authentication-Results\s*:/i, '')), ';');
  const authServId = unquote((parts[0] ?? '').trim().split(/\s+/)[0] ?? '').toLowerCase();
  if (authServId === '') return null;
  const results: ResultInfo[] = [];
  for (const part of parts.slice(1)) {
    const match = /^\s*([A-Za-z0-9_-]+)(?:\s*\/\s*\d+)?\s*=\s*([A-Za-z0-9_-]+)/.exec(part);
    if (!match) continue;
    const result = match[2]!.toLowerCase();
    if (!(authResults as readonly string[]).includes(result)) continue;
    const properties = new Map<string, string>();
    for (const property of part.slice(match[0].length).matchAll(/([A-Za-z0-9_-]+\.[A-Za-z0-9_.-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s;]+)/g)) {
      const key = property[1]!.toLowerCase();
      if (!properties.has(key)) properties.set(key, unquote(property[2]!));
    }
    results.push({ method: match[1]!.toLowerCase(), result: result as AuthResult, properties });
  }
  return { authServId, results };
}

function domainOfIdentity(identity: string | undefined): string | undefined {
  if (identity === undefined || identity === '') return undefined;
  const domain = identity.includes('@') ? domainOf(identity) : identity;
  return normalizeDomain(domain) ?? undefined;
}

/**
 * Extracts the dmarc, dkim and spf verdicts from Authentication-Results header values (RFC 8601), in message order.
 *
 * Only headers of one authentication service count: those whose authserv-id equals `trustedAuthServId`
 * (case-insensitive), or, without one, those sharing the authserv-id of the first (topmost) header, which our own MX
 * added last. Headers of other authserv-ids may have been written by the sender and are ignored.
 * Within those: any DKIM pass makes `dkim` pass (one valid signature suffices) and lists its domain; SPF likewise;
 * DMARC `fail` wins over `pass` if two verdicts disagree. Comments, quoted values, method versions ("dkim/1") and
 * unknown methods or result words are handled or skipped; a header that says "none" contributes nothing.
 */
export function parseAuthenticationResults(headerValues: readonly string[], trustedAuthServId?: string): AuthenticationVerdicts {
  const headers = headerValues.map(parseHeader).filter((header) => header !== null);
  const wantedId = trustedAuthServId?.trim().toLowerCase() ?? headers[0]?.authServId;
  const results = headers.filter((header) => header.authServId === wantedId).flatMap((header) => header.results);
  const verdicts: AuthenticationVerdicts = {};

  const dmarc = results.filter((info) => info.method === 'dmarc');
  const dmarcChosen = dmarc.find((info) => info.result === 'fail') ?? dmarc.find((info) => info.result === 'pass') ?? dmarc[0];
  if (dmarcChosen) {
    verdicts.dmarc = dmarcChosen.result;
    const domain = domainOfIdentity(dmarcChosen.properties.get('header.from'));
    if (domain) verdicts.dmarcDomain = domain;
  }

  const dkim = results.filter((info) => info.method === 'dkim');
  const dkimPasses = dkim.filter((info) => info.result === 'pass');
  if (dkimPasses.length > 0) {
    verdicts.dkim = 'pass';
    verdicts.dkimDomains = dkimPasses
      .map((info) => domainOfIdentity(info.properties.get('header.d') ?? info.properties.get('header.i')))
      .filter((domain) => domain !== undefined);
  } else if (dkim[0]) verdicts.dkim = dkim[0].result;

  const spf = results.filter((info) => info.method === 'spf');
  const spfChosen = spf.find((info) => info.result === 'pass') ?? spf[0];
  if (spfChosen) {
    verdicts.spf = spfChosen.result;
    const domain = domainOfIdentity(spfChosen.properties.get('smtp.mailfrom') ?? spfChosen.properties.get('smtp.helo'));
    if (domain) verdicts.spfDomain = domain;
  }
  return verdicts;
}
