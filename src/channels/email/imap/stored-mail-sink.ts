// The IMAP leader's handler under `deskbot serve`: instead of handling a fetched message it stores it durably in the
// stored-mail queue (with what ordering needs: sender, Message-ID, In-Reply-To/References) and wakes the workers.
// Stores arriving while one is being written go out together in the next statement (one commit for the group).
import { headerBlockOf } from '../../../domain/mail/headers.ts';
import { DeskbotError, isDeskbotError } from '../../../errors.ts';
import type { InboundSource } from '../../../app/ports.ts';
import type { InboundQueueRepository, StoredMailInput } from '../../../app/inbound-queue.ts';
import type { BatchResult, ImapMailHandler, ImapOversizedHandler } from './batch.ts';
import type { GateEnvelope } from './in-flight-gate.ts';

export interface StoredMailSink {
  handler: ImapMailHandler;
  oversizedHandler: ImapOversizedHandler;
}

/** The Message-IDs a message answers: In-Reply-To and References of its header block (unfolded). */
export function answeredIds(raw: Buffer, envelope: GateEnvelope | undefined): string[] {
  const text = headerBlockOf(raw)
    .toString('latin1')
    .replace(/\r?\n[ \t]+/g, ' ');
  const ids = new Set<string>(envelope?.inReplyTo?.match(/<[^>]+>/g) ?? []);
  for (const line of text.split(/\r?\n/)) {
    const header = /^(in-reply-to|references)[ \t]*:(.*)$/i.exec(line);
    for (const id of header?.[2]?.match(/<[^>]+>/g) ?? []) ids.add(id);
  }
  return [...ids].slice(0, 100);
}

/** Stores into `queue`; `onStored` runs after each commit (wakes this process's worker). */
export function createStoredMailSink(queue: InboundQueueRepository, onStored: () => void): StoredMailSink {
  let pending: Array<{ mail: StoredMailInput; resolve: () => void; reject: (error: unknown) => void }> = [];
  let writing: Promise<void> | undefined;

  const flush = (): void => {
    if (writing) return;
    writing = (async () => {
      while (pending.length) {
        const group = pending;
        pending = [];
        try {
          await queue.store(group.map((entry) => entry.mail));
          for (const entry of group) entry.resolve();
          onStored();
        } catch (error) {
          const failure = isDeskbotError(error) ? error : new DeskbotError('DB_UNAVAILABLE', 'Cannot store fetched mail', { retryable: true, cause: error });
          // Those queued behind fail too: a later message must never be stored before an earlier one that failed.
          for (const entry of [...group, ...pending.splice(0)]) entry.reject(failure);
        }
      }
    })().finally(() => {
      writing = undefined;
      if (pending.length) flush();
    });
  };

  const store = (raw: Buffer, size: number, oversized: boolean, source: InboundSource, envelope: GateEnvelope | undefined): Promise<BatchResult> => {
    if (source.kind !== 'imap') return Promise.reject(new DeskbotError('INTERNAL', 'only IMAP mail is stored for the workers'));
    const mail: StoredMailInput = {
      mailbox: source.mailbox,
      uidValidity: source.uidValidity,
      uid: source.uid,
      messageId: envelope?.messageId ?? null,
      sender: envelope?.from?.find((address) => address.address)?.address?.toLowerCase() ?? null,
      answers: answeredIds(raw, envelope),
      size,
      oversized,
      raw,
      receivedAt: source.receivedAt ?? null,
    };
    return new Promise<BatchResult>((resolve, reject) => {
      pending.push({ mail, resolve: () => resolve({ outcome: 'stored' }), reject });
      flush();
    });
  };

  return {
    handler: (raw, source, envelope) => store(raw, raw.length, false, source, envelope),
    oversizedHandler: (headers, size, source, envelope) => store(headers, size, true, source, envelope),
  };
}
