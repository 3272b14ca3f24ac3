// Whether a customer's mail agrees to the paid-support terms (Kerio ToS preamble; issue 12 point 9): the
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
