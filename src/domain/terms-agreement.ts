// Whether a customer's mail agrees to the paid-support terms (Kerio ToS preamble; issue 12 point 9): the
// acknowledgement asks for a reply containing "I agree". Only the customer's own text counts, never the quote of our mail.
import { stripQuotedText } from './request-details.ts';

/** "I agree" (any case, any spacing) in the unquoted part of `body`; "I disagree" or "I do not agree" do not count. */
export function agreesToTerms(body: string): boolean {
  return /(?<![\p{L}\p{N}])I\s+agree(?![\p{L}\p{N}])/iu.test(stripQuotedText(body));
}
