// Makes customer-supplied text safe inside Slack mrkdwn: no mentions, broadcasts (<!channel>) or disguised links, and
// (literalLine) no formatting of its own where it sits inside ours. Free text keeps its *, _, ~, ` (pasted code stays as typed).

/**
 * Escapes the three characters Slack treats as control characters in message text: `&`, `<`, `>`.
 * See https://docs.slack.dev/messaging/formatting-message-text#escaping. Applied once to raw text;
 * `&amp;` typed by a customer becomes `&amp;amp;`, so it shows exactly as typed.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escaped and cut to `max` characters (Slack limits section text to 3,000), with an ellipsis when cut. */
export function escapeExcerpt(text: string, max = 500): string {
  const oneSpaced = text.replace(/\r\n?/g, '\n').trim();
  const cut = oneSpaced.length > max ? `${oneSpaced.slice(0, max - 1)}…` : oneSpaced;
  return escapeMrkdwn(cut);
}

/** One line of customer text (subject, name) for a field: line breaks collapsed, escaped, cut to `max`. */
export function escapeLine(text: string, max = 150): string {
  return escapeExcerpt(text.replace(/\s+/g, ' '), max);
}

// Lookalikes, not zero-width spaces: Slack has no escape, and a zero-width space counts as a word boundary there (the known way to format mid-word).
const formattingLookalikes: Record<string, string> = {
  '*': '\u2217', // ∗ asterisk operator
  _: '\u02CD', // ˍ modifier letter low macron
  '~': '\u223C', // ∼ tilde operator
  '`': '\u02CB', // ˋ modifier letter grave accent
};

/**
 * One line of customer text that sits inside deskbot's own formatting (the card's *subject*, a `key`): escapeLine, and
 * mrkdwn's formatting characters `*`, `_`, `~` and the backtick replaced by lookalikes, so the text shows literally and
 * cannot close or open formatting around it. https://docs.slack.dev/messaging/formatting-message-text
 */
export function literalLine(text: string, max = 150): string {
  return escapeLine(
    text.replace(/[*_~`]/g, (character) => formattingLookalikes[character]!),
    max,
  );
}

/** Plain-text fields (header blocks, modal titles, option labels) are not parsed, but are cut to Slack's limits. */
export function plainText(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
