// Greetings and closings customers write, in the languages deskbot answers in (en, de, cs, sv), so the defect summary
// (request-details.ts) leaves them out. Words only; which lines of a mail they are looked for in is summarizeDefect's.

/** Greeting words at the start of a mail: "Hi", "Hallo", "Guten Tag", "Sehr geehrte", "Dobrý den", "Hej", ... */
const greetingWords = [
  // en
  String.raw`hi|hello|hey|dear|greetings|good\s+(?:morning|afternoon|evening|day)`,
  // de
  String.raw`hallo|guten\s+(?:morgen|tag|abend)|sehr\s+geehrte[rs]?|liebe[rs]?|moin|servus|grüß\s+gott|grüezi`,
  // cs
  String.raw`dobrý\s+(?:den|večer)|dobré\s+(?:ráno|odpoledne)|vážen[ýáí]|ahoj|zdravím`,
  // sv
  String.raw`hej(?:san)?|hallå|god\s+(?:morgon|middag|eftermiddag|kväll|dag)`,
].join('|');
/** The end of a word, for letters beyond ASCII too ("grüß" ends before the space, not inside "grüßen"). */
const wordEnd = String.raw`(?![\p{L}\p{N}])`;

const greetingStart = new RegExp(`^(?:${greetingWords})${wordEnd}`, 'iu');
/**
 * Whom a greeting addresses: "team", "all", "Support Team", "Jane", "Sir or Madam", "Damen und Herren", "zusammen"
 * (capitalised words are names).
 */
const addresseeWord =
  /^(?:team|all|everyone|everybody|there|folks|guys|people|you|support|customer|service|technical|tech|help|helpdesk|desk|sir|sirs|madam|ladies|gentlemen|or|and|colleague|colleagues|friends|und|zusammen|alle|allerseits|miteinander|všichni|alla|allihopa|och|\p{Lu}[\p{L}'.-]*)$/u;

/**
 * The greeting at the start of `text` with its punctuation and the spaces after it ("Hi team, ", "Dear Sir or Madam,",
 * "Hallo zusammen,", "Hello!"), or null. Only up to four addressee words may stand between the greeting and its comma,
 * "!" or ":", so "Hello our mail server is down: users cannot log in" and "Hi all servers crash!" stay the customer's
 * words. `wholeLine`: the greeting is the whole line, and its punctuation may be left out ("Hello Jane").
 */
export function greetingPrefix(text: string, wholeLine = false): string | null {
  const start = greetingStart.exec(text);
  if (!start) return null;
  const match = /^((?:\s+[^\s,!:.?;]+){0,4})\s*([,!:]\s*|$)/u.exec(text.slice(start[0].length));
  if (!match || (wholeLine ? text.length !== start[0].length + match[0].length : match[2] === '')) return null;
  const words = match[1]!
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '');
  if (!words.every((word) => addresseeWord.test(word) || addresseeWord.test(word.toLowerCase()))) return null;
  return start[0] + match[0];
}

/** Closings, one alternative each (regex source, in the mail languages). */
const closingWords = [
  // en
  String.raw`thanks?`,
  String.raw`thank\s+you`,
  String.raw`many\s+thanks`,
  String.raw`thanks\s+in\s+advance`,
  String.raw`regards`,
  String.raw`best`,
  String.raw`best\s+regards`,
  String.raw`kind\s+regards`,
  String.raw`warm\s+regards`,
  String.raw`cheers`,
  String.raw`br`,
  String.raw`sincerely`,
  String.raw`yours`,
  // de
  String.raw`mit\s+freundlichen\s+grü(?:ß|ss)en`,
  String.raw`(?:freundliche|viele|beste|liebe|herzliche|schöne)\s+grü(?:ß|ss)e`,
  String.raw`grü(?:ß|ss)e`,
  String.raw`gruß`,
  String.raw`mfg`,
  String.raw`lg`,
  String.raw`vg`,
  String.raw`danke(?:\s+schön)?`,
  String.raw`vielen\s+dank`,
  String.raw`danke\s+im\s+voraus`,
  String.raw`vielen\s+dank\s+im\s+voraus`,
  // cs
  String.raw`s\s+pozdravem`,
  String.raw`s\s+přátelským\s+pozdravem`,
  String.raw`se\s+srdečným\s+pozdravem`,
  String.raw`zdravím`,
  String.raw`děkuji`,
  String.raw`děkujeme`,
  String.raw`předem\s+děkuji`,
  String.raw`díky`,
  // sv
  String.raw`med\s+vänliga\s+hälsningar`,
  String.raw`med\s+vänlig\s+hälsning`,
  String.raw`vänliga\s+hälsningar`,
  String.raw`vänlig\s+hälsning`,
  String.raw`bästa\s+hälsningar`,
  String.raw`hälsningar`,
  String.raw`mvh`,
  String.raw`tack`,
  String.raw`tack\s+på\s+förhand`,
  String.raw`tack\s+så\s+mycket`,
  String.raw`stort\s+tack`,
];

// Longest first: the rest of the line must be a name, and "best" must not win over "best regards" ("Best regards,"
// left " regards," as the name, so the line was no closing and the sign-off stayed in the summary).
const closingAlternatives = [...closingWords].sort((a, b) => b.length - a.length);
const closingPhrase = new RegExp(`^(?:${closingAlternatives.join('|')})${wordEnd}[,!.]*(.*)$`, 'iu');

/**
 * A line that is only a closing, optionally with a capitalised name: "Thanks,", "Kind regards, Jane Doe",
 * "Mit freundlichen Grüßen", "S pozdravem Jan Novák", "Sent from my iPhone".
 */
export function isClosingLine(line: string): boolean {
  if (/^sent\s+from\s+my\b/i.test(line)) return true;
  const match = closingPhrase.exec(line);
  return match !== null && /^(?:\s+\p{Lu}[\p{L}\p{N}.'-]*){0,3}\s*$/u.test(match[1]!);
}
