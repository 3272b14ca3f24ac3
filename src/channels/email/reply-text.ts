// The new text of a customer's mail for display: quoted history and signature stripped. email-reply-parser does most
// of it; the rules here cover what it misses on our corpus (test/fixtures/replies): Outlook header blocks without an
// address, Czech and Swedish "wrote" lines, answers written between quoted lines. The full text is always kept apart.
import EmailReplyParser from 'email-reply-parser';

/**
 * Longest text, and longest line, handed to the library: its regexes run on the JavaScript engine (no RE2 installed)
 * and take time quadratic in a line's length (a 60,000-character line: 8 s). Longer mail gets the rules here only.
 */
const maxParsedChars = 64 * 1024;
const maxParsedLineChars = 1000;

/** Longest line tried as a "wrote" line or header line. */
const maxHeaderLineChars = 300;

/** First line of an Outlook-style header block ("From: …" then "Sent: …"), in the languages our customers write. */
const headerFromLine = /^\s*\*?(From|Von|De|Od|Från|Fra|Van|Da)\s?:\*?\s*\S/;
const headerSentLine = /^\s*\*?(Sent|Date|Gesendet|Datum|Envoyé|Odesláno|Skickat|Sendt|Verzonden|Inviato)\s?:\*?\s*\S/;
/** "On … wrote:" lines the library misses; a line may be wrapped once. */
const wroteLine = /^\s*(On|Am|Le|Dne|Den|El|Il|Em|Op)\s.+\b(wrote|schrieb|a écrit|napsal(a|\(a\))?|skrev|escribió|scritto|escreveu|schreef)\s*:\s*$/i;
const separatorLine = /^\s*(-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Původní zpráva|Ursprungligt meddelande)\s*-{2,}|_{20,})\s*$/i;

/** Index of the first line of quoted history (header block, "wrote" line, separator), or -1. */
function historyStart(lines: readonly string[]): number {
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index]!;
    if (separatorLine.test(line)) return index;
    // "Wrote" lines are short; longer lines are not tried (the pattern would backtrack over a long line).
    if (line.length > maxHeaderLineChars) continue;
    const next = lines[index + 1]?.trim() ?? '';
    if (wroteLine.test(line) || (next !== '' && next.length <= maxHeaderLineChars && !/:\s*$/.test(line) && wroteLine.test(`${line} ${next}`))) return index;
    if (headerFromLine.test(line) && lines.slice(index + 1, index + 4).some((next) => headerSentLine.test(next))) return index;
  }
  return -1;
}

/** Quoted lines followed by new text: the customer answered between the quotes, which are then kept for context. */
function answersBetweenQuotes(lines: readonly string[]): boolean {
  let seenQuote = false;
  for (const line of lines) {
    if (/^\s*>/.test(line)) seenQuote = true;
    else if (seenQuote && line.trim() !== '') return true;
  }
  return false;
}

/** Drops a block of `>` quoted lines (and blank lines) at the end. */
function withoutTrailingQuote(lines: readonly string[]): string[] {
  let end = lines.length;
  while (end > 0 && (/^\s*>/.test(lines[end - 1]!) || lines[end - 1]!.trim() === '')) end -= 1;
  return lines.slice(0, end);
}

/** Drops a `-- ` signature (RFC 3676 §4.3) and everything below it. */
function withoutSignature(lines: readonly string[]): string[] {
  const at = lines.findIndex((line) => line === '-- ' || line === '--');
  return at === -1 ? [...lines] : lines.slice(0, at);
}

/**
 * The new text of a mail: what the sender wrote above the quoted history, without signature. When nothing would
 * remain (a mail that is all quote), the whole text is returned: it is then the only text there is.
 */
export function replyText(fullText: string): string {
  const text = fullText.replace(/\r\n?/g, '\n');
  const lines = text.split('\n');
  const start = historyStart(lines);
  const head = start === -1 ? lines : lines.slice(0, start);
  let visible: string;
  if (answersBetweenQuotes(head)) visible = withoutSignature(head).join('\n');
  else {
    const candidate = head.join('\n');
    const tooLong = candidate.length > maxParsedChars || head.some((line) => line.length > maxParsedLineChars);
    visible = tooLong ? withoutTrailingQuote(withoutSignature(head)).join('\n') : new EmailReplyParser().read(candidate).getVisibleText();
  }
  const trimmed = visible
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return trimmed === '' ? text.trim() : trimmed;
}
