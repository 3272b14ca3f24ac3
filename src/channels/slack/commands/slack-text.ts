// Turns the free text of a slash command back into what the engineer typed: Slack sends it escaped (&amp; &lt; &gt;)
// and, with should_escape, links, addresses, mentions and specials as `<…>` sequences. Leaves out escaping for output.

/** Slack's three entities (https://docs.slack.dev/messaging/formatting-message-text#escaping), decoded once. */
function decodeEntities(text: string): string {
  return text.replace(/&(lt|gt|amp);/g, (_entity, name: string) => (name === 'lt' ? '<' : name === 'gt' ? '>' : '&'));
}

/** One `<…>` sequence as plain text: a link as `label (url)`, an address, `@name`, `#channel`, `@here`. */
function decodeSequence(inner: string): string {
  const bar = inner.indexOf('|');
  const target = decodeEntities(bar === -1 ? inner : inner.slice(0, bar));
  const label = bar === -1 ? undefined : decodeEntities(inner.slice(bar + 1));
  if (target.startsWith('@')) return label ? `@${label.replace(/^@/, '')}` : target;
  if (target.startsWith('#')) return label ? `#${label.replace(/^#/, '')}` : target;
  if (target.startsWith('!')) {
    // <!here>, <!channel>, <!subteam^S1|@team>, <!date^…|fallback>: the label is what the reader saw.
    if (label) return label;
    const name = target.slice(1).split('^')[0]!;
    return `@${name}`;
  }
  if (/^mailto:/i.test(target)) return target.slice('mailto:'.length);
  if (label === undefined || label === target || target.replace(/^https?:\/\//i, '') === label) return label ?? target;
  return `${label} (${target})`;
}

/**
 * The plain text of a slash command argument: every `<…>` sequence and entity decoded exactly once, so what goes on
 * to mail (HTML-escaped) and Slack posts (mrkdwn-escaped) is escaped once there. Literal `<` and `>` only ever
 * arrive as entities, so a `<` in the text Slack sent always opens a sequence.
 */
export function decodeSlackText(text: string): string {
  return text.replace(/<([^<>]*)>|&(?:lt|gt|amp);/g, (match, inner: string | undefined) =>
    inner === undefined ? decodeEntities(match) : decodeSequence(inner),
  );
}
