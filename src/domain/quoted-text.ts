// The customer's own words in a mail body: quoted history, reply attributions and signatures left out, forwarded
// content kept. Pure text rules for the request facts and "I agree"; the display text for engineers is reply-text.ts.

/** `forwarded`: the mail forwards another (see isForwardSubject); an Outlook header block then starts forwarded content. */
export interface StripQuotedTextOptions {
  forwarded?: boolean;
}

/** A subject that forwards: "FW:", "Fwd:", German "WG:", Swedish "VB:", Czech "PŘ:" (not after "Re:"). */
export function isForwardSubject(subject: string): boolean {
  return /^\s*(?:fwd?|wg|vb|př)\s*:/iu.test(subject);
}

const forwardMarker = /^\s*(?:-{2,}\s*Forwarded message\s*-{2,}|Begin forwarded message:)\s*$/i;
/** A header line of a forwarded message, in the four mail languages (Outlook writes them in the sender's language). */
const headerLine =
  /^\s*\*?(?:From|Sent|Date|To|Cc|Subject|Reply-To|Von|Gesendet|Datum|An|Betreff|Od|Odesláno|Komu|Kopie|Předmět|Från|Skickat|Till|Kopia|Ämne)\s?:\*?\s/i;
/** An Outlook reply header block, in the languages our mail goes out in: "From:"/"Von:"/"Od:"/"Från:", then a sent line. */
const replyFromLine = /^\s*\*?(?:From|Von|Od|Från)\s?:\*?\s/i;
const replySentLine = /^\s*\*?(?:Sent|Date|Gesendet|Datum|Odesláno|Skickat)\s?:\*?\s/i;
/** "-----Original Message-----" and its German, Czech and Swedish forms. */
const originalMessage = /^\s*-{3,}\s*(?:Original Message|Ursprüngliche Nachricht|Původní zpráva|Ursprungligt meddelande)\s*-{3,}\s*$/i;
/** A reply attribution: "On … wrote:", "Am … schrieb …:", "Dne … napsal(a):", "Den … skrev …:". */
const attributionLine = /^\s*(?:On|Am|Dne|Den)\s.{0,300}\b(?:wrote|schrieb|napsal(?:a|\(a\))?|skrev)\b.{0,80}:\s*$/iu;

/**
 * The customer's own words in a plain-text body:
 * - drops quoted lines (starting with ">", RFC 3676) and reply attributions ("On ... wrote:");
 * - stops at the signature separator ("-- ", RFC 3676 4.3), at "-----Original Message-----", at an Outlook rule
 *   ("______") and at an unquoted reply header block ("From: ..." followed by "Sent:"/"Date:"), also in German, Czech
 *   and Swedish ("Von:"/"Gesendet:", "Od:"/"Odesláno:", "Från:"/"Skickat:"): our own mail quoted below the answer
 *   names a severity and asks for "I agree", and must not be read as the customer's words;
 * - keeps forwarded content (a forwarded complaint is the request) but drops the forward marker and its header lines;
 *   with `forwarded` (the subject says FW:/Fwd:/WG:/VB:/PŘ:) Outlook's forward, which looks like its reply (a rule or
 *   "Original Message", then a header block), is kept the same way.
 */
export function stripQuotedText(body: string, options: StripQuotedTextOptions = {}): string {
  const lines = body.replace(/\r\n?/g, '\n').split('\n');
  const kept: string[] = [];
  let inForwardHeader = false;
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index]!;
    if (/^--\s*$/.test(line)) break;
    // Quoted history starts here: a reply's ends the customer's words; a forward's header block is skipped like a marker's.
    const quoteStart =
      !inForwardHeader &&
      (originalMessage.test(line) ||
        /^\s*_{10,}\s*$/.test(line) ||
        (replyFromLine.test(line) && lines.slice(index + 1, index + 4).some((next) => replySentLine.test(next))));
    if (quoteStart && !options.forwarded) break;
    if (quoteStart || forwardMarker.test(line)) {
      inForwardHeader = true;
      continue;
    }
    if (inForwardHeader) {
      if (headerLine.test(line)) continue;
      if (line.trim() === '') {
        inForwardHeader = false;
        continue;
      }
      inForwardHeader = false;
    }
    if (/^\s*>/.test(line)) continue;
    if (attributionLine.test(line)) continue;
    kept.push(line);
  }
  return kept.join('\n').trim();
}
