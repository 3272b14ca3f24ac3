// Whether a customer's mail agrees to the paid-support terms (Kerio ToS preamble; issue 12 point 9), or asks for them: the
// acknowledgement asks for a reply containing "I agree". Only the customer's own text counts, never the quote of our mail,
// and only a plain statement: "Before I agree…", "Do I agree?" or "I agree, but only if…" accept nothing.
import { stripQuotedText } from './quoted-text.ts';

const iAgree = /(?<![\p{L}\p{N}])I\s+(?:(?:hereby|do|fully)\s+)?agree(?![\p{L}\p{N}])/iu;
/** Words before "I agree" in its sentence that make it a condition, a question or a refusal. */
const notYet = /(?<![\p{L}\p{N}])(?:before|if|unless|until|once|when|whether|not|never|don'?t|won'?t|can'?t|cannot|would|should|may|might)(?![\p{L}\p{N}])/iu;
/** Words after it that attach a condition or make it agreement with something else ("I agree that…"). */
const butAfter = /(?<![\p{L}\p{N}])(?:but|if|unless|only|not|once|when|after|before|until|that|with\s+you)(?![\p{L}\p{N}])/iu;

/** One sentence that accepts: contains "I agree", is no question, and has no condition or refusal around it. */
function accepts(sentence: string): boolean {
  const match = iAgree.exec(sentence);
  if (!match || /\?\s*$/.test(sentence)) return false;
  const before = sentence.slice(0, match.index);
  const after = sentence.slice(match.index + match[0].length);
  return !notYet.test(before) && !butAfter.test(after);
}

/**
 * "I agree" (any case, any spacing) as a statement of its own in the unquoted part of `body`: "Yes, I agree to the
 * terms." agrees; "I disagree", "I do not agree", "Before I agree, send me the terms", "Do I agree?" and
 * "I agree, but only if…" do not.
 */
export function agreesToTerms(body: string): boolean {
  return stripQuotedText(body)
    .split(/(?<=[.!?;])\s+|\n+/)
    .some((sentence) => accepts(sentence.trim()));
}

/** "the terms", "your support terms", "the terms of service", "T&Cs", "conditions" in English. */
const termsNoun = String.raw`(?:terms|conditions|T&Cs?|ToS)`;
/**
 * Asking for the terms, one sentence each: English "send me the terms", "please send your support terms", "could you
 * share the terms and conditions", "where can I find your terms?", "can I see the terms?"; German "senden Sie mir die
 * AGB", Czech "pošlete mi podmínky", Swedish "skicka villkoren till mig". Each needs the asking form, so our own
 * sentence "(we send them on request)", quoted back without quote marks, asks for nothing.
 */
const asksPatterns = [
  new RegExp(
    String.raw`(?<![\p{L}\p{N}])(?:send|e-?mail|mail|forward|share|provide)(?:\s+(?:me|us))?\s+(?:(?:the|your|a\s+copy\s+of\s+(?:the|your))\s+)(?:[\p{L}-]+\s+){0,3}?${termsNoun}(?![\p{L}\p{N}])`,
    'iu',
  ),
  new RegExp(String.raw`(?<![\p{L}\p{N}])(?:where|how)(?![\p{L}\p{N}])[^.!?;\n]*(?<![\p{L}\p{N}])${termsNoun}(?![\p{L}\p{N}])[^.!;\n]*\?`, 'iu'),
  new RegExp(
    String.raw`(?<![\p{L}\p{N}])(?:see|read|have|get)\s+(?:the|your|a\s+copy\s+of\s+(?:the|your))\s+(?:[\p{L}-]+\s+){0,3}?${termsNoun}(?![\p{L}\p{N}])[^.!;\n]*\?`,
    'iu',
  ),
];
/** Other languages: the terms, a verb of sending and "me"/"us" in one sentence, in any order. */
const asksWords: ReadonlyArray<readonly [RegExp, RegExp, RegExp]> = [
  [
    /(?:bedingungen|AGB)(?![\p{L}\p{N}])/iu,
    /(?<![\p{L}\p{N}])(?:zu)?(?:senden|schicken|sende|schicke)(?![\p{L}\p{N}])|zukommen/iu,
    /(?<![\p{L}\p{N}])(?:mir|uns)(?![\p{L}\p{N}])/iu,
  ],
  [
    /(?<![\p{L}\p{N}])podmín/iu,
    /(?<![\p{L}\p{N}])(?:pošlete|zašlete|poslat|zaslat|pošli|zašli)(?![\p{L}\p{N}])/iu,
    /(?<![\p{L}\p{N}])(?:mi|nám|mně)(?![\p{L}\p{N}])/iu,
  ],
  [/(?<![\p{L}\p{N}])villkor/iu, /(?<![\p{L}\p{N}])(?:skicka|skickar|maila|mejla)(?![\p{L}\p{N}])/iu, /(?<![\p{L}\p{N}])(?:mig|oss)(?![\p{L}\p{N}])/iu],
];

/**
 * The customer's own text (quotes stripped) asks for the support terms: "Please send me the terms", "Before I agree,
 * send me your support terms", "Where can I read your terms?", and the same in German, Czech and Swedish. Mentioning the
 * terms ("I agree to the terms") or quoting our offer to send them asks for nothing.
 */
export function asksForTerms(body: string): boolean {
  return stripQuotedText(body)
    .split(/(?<=[.!?;])\s+|\n+/)
    .some((sentence) => asksPatterns.some((pattern) => pattern.test(sentence)) || asksWords.some((words) => words.every((word) => word.test(sentence))));
}
