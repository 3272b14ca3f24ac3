// How much of a customer's mail is kept and shown: the stored text's bound (with a marker where it was cut) and the
// excerpts Slack shows. Pure: the text comes in, nothing is read or written here.

/** Most of one message's text kept, in UTF-8 bytes. */
export const maxStoredTextBytes = 256 * 1024;
/** Characters of a new request shown in its triage message. */
export const triageExcerptChars = 600;
/** Characters of a later mail posted in the ticket's thread. */
export const threadExcerptChars = 3000;

/** A text cut to at most `maxBytes` UTF-8 bytes at a character boundary, a marker saying how much was left out. */
export function boundedText(text: string, maxBytes = maxStoredTextBytes): { text: string; truncated: boolean } {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) return { text, truncated: false };
  const marker = (left: number) => `\n\n[… ${left} more bytes not kept]`;
  const budget = maxBytes - Buffer.byteLength(marker(bytes), 'utf8');
  // Decoding a byte-cut buffer can end in a broken character: drop it.
  const kept = Buffer.from(text, 'utf8')
    .subarray(0, Math.max(0, budget))
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return { text: `${kept}${marker(bytes - Buffer.byteLength(kept, 'utf8'))}`, truncated: true };
}

/** The first `maxChars` characters of a text, cut at a word where one is near, with "…" when anything was left out. */
export function excerpt(text: string, maxChars: number): { text: string; cut: boolean } {
  const trimmed = text.trim();
  const chars = [...trimmed];
  if (chars.length <= maxChars) return { text: trimmed, cut: false };
  const head = chars.slice(0, maxChars).join('');
  const space = head.search(/\s\S*$/);
  const atWord = space > maxChars * 0.8 ? head.slice(0, space) : head;
  return { text: `${atWord.trimEnd()}…`, cut: true };
}

/** A byte count as people read it: 512 B, 1.2 KB, 20.0 MB. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
