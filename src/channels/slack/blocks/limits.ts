// Slack's size limits, applied in one place: every message, answer and view deskbot sends (each Web API call in
// web-api.ts and each response_url answer) passes capMessage, so no customer or user text reaches Slack longer than
// it accepts, whatever a block builder put in. Cuts never split an escape (&amp;), a <…> token or a surrogate pair.
// Leaves out escaping (escape.ts): the builders escape, this only cuts.

/** https://docs.slack.dev/reference/block-kit/blocks and https://docs.slack.dev/reference/methods/chat.postMessage */
export const slackLimits = {
  /** A section's or context element's text. */
  blockText: 3_000,
  /** One of a section's fields. */
  fieldText: 2_000,
  /** A header block's plain text. */
  headerText: 150,
  /** A message's top-level text, and all text of its blocks together. */
  messageText: 40_000,
} as const;

/** `text` cut to at most `max` characters (with an ellipsis when cut). */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max < 1) return '';
  let cut = text.slice(0, max - 1);
  const open = cut.lastIndexOf('<');
  if (open > cut.lastIndexOf('>')) cut = cut.slice(0, open);
  const amp = cut.lastIndexOf('&');
  if (amp > cut.lastIndexOf(';') && cut.length - amp < 6) cut = cut.slice(0, amp);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A text object ({ type, text }) cut to `max` and to what is left of the message's budget; null when nothing is left. */
function capTextObject(value: unknown, max: number, budget: { left: number }): unknown {
  if (!isRecord(value) || typeof value.text !== 'string') return value;
  const limit = Math.min(max, budget.left);
  if (limit < 1) return null;
  const text = capText(value.text, limit);
  budget.left -= text.length;
  return { ...value, text };
}

/** A block with its texts cut; null when the message's budget is spent before its main text. */
function capBlock(block: unknown, budget: { left: number }): unknown {
  if (!isRecord(block)) return block;
  const capped: Json = { ...block };
  if ('text' in block) {
    capped.text = capTextObject(block.text, block.type === 'header' ? slackLimits.headerText : slackLimits.blockText, budget);
    if (capped.text === null) return null;
  }
  if (Array.isArray(block.fields))
    capped.fields = block.fields.map((field) => capTextObject(field, slackLimits.fieldText, budget)).filter((field) => field !== null);
  if (block.type === 'context' && Array.isArray(block.elements)) {
    capped.elements = block.elements.map((element) => capTextObject(element, slackLimits.blockText, budget)).filter((element) => element !== null);
  }
  return capped;
}

/** Blocks cut to the limits; blocks past the message's 40,000 characters are left out. */
const capBlocks = (blocks: unknown): unknown => {
  if (!Array.isArray(blocks)) return blocks;
  const budget = { left: slackLimits.messageText };
  return blocks.map((block) => capBlock(block, budget)).filter((block) => block !== null);
};

/**
 * A message (chat.postMessage / chat.update / chat.postEphemeral arguments, a response_url body) or view call
 * (views.open / views.publish) with every text within Slack's limits. Other fields are passed through untouched.
 */
export function capMessage<T extends Json>(message: T): T {
  const capped: Json = { ...message };
  if (typeof message.text === 'string') capped.text = capText(message.text, slackLimits.messageText);
  if ('blocks' in message) capped.blocks = capBlocks(message.blocks);
  if (isRecord(message.view) && 'blocks' in message.view) capped.view = { ...message.view, blocks: capBlocks(message.view.blocks) };
  return capped as T;
}
