// Deskbot's own Message-IDs (RFC 5322 3.6.4): made in one place so the loop rules can recognise them coming back.
// Leaves out the synthetic IDs of received mail that has none (parse-message.ts hashes those from the raw bytes).

/** A Message-ID on the support address's domain, marked as ours so loops are recognised; `uuid` makes it fresh (randomUUID). */
export function newMessageId(supportAddress: string, uuid: string): string {
  const domain = supportAddress.slice(supportAddress.lastIndexOf('@') + 1) || 'deskbot.local';
  return `<deskbot.${uuid}@${domain}>`;
}

/** True for a Message-ID deskbot generated. */
export function isDeskbotMessageId(messageId: string | undefined): boolean {
  return typeof messageId === 'string' && /^<deskbot\.[0-9a-f-]{36}@/i.test(messageId.trim());
}

/** A Message-ID as typed by a person, with or without its angle brackets, in the stored `<id@domain>` form; null if not one. */
export function canonicalMessageId(text: string): string | null {
  const bare = text
    .trim()
    .replace(/^<(.*)>$/, '$1')
    .trim();
  return /^[^<>\s]+$/.test(bare) ? `<${bare}>` : null;
}
