// The leader's store: what ordering needs is taken from the envelope and the header block (sender in lower case,
// In-Reply-To and folded References), stores arriving during a write go out together, and a failed write rejects
// retryably (the message then stays unflagged).
import { describe, expect, it } from 'vitest';
import { isDeskbotError } from '../../../../src/errors.ts';
import type { InboundQueueRepository, StoredMailInput } from '../../../../src/app/inbound-queue.ts';
import { answeredIds, createStoredMailSink } from '../../../../src/channels/email/imap/stored-mail-sink.ts';

function fakeQueue(fail = false) {
  const writes: StoredMailInput[][] = [];
  let release: (() => void) | undefined;
  const queue = {
    async store(mails: readonly StoredMailInput[]) {
      writes.push([...mails]);
      if (writes.length === 1) await new Promise<void>((resolve) => (release = resolve));
      if (fail) throw new Error('connection refused');
      return mails.length;
    },
  } as unknown as InboundQueueRepository;
  return { queue, writes, release: () => release?.() };
}

const source = (uid: number) => ({ kind: 'imap' as const, mailbox: 'INBOX', uidValidity: 3n, uid: BigInt(uid), receivedAt: new Date('2026-11-29T09:00:00Z') });

describe('stored-mail sink', () => {
  it('reads In-Reply-To and folded References from the header block, not the body', () => {
    const raw = Buffer.from(
      'From: a@example.com\r\nIn-Reply-To: <one@x>\r\nReferences: <zero@x>\r\n <one@x>\r\n\t<two@x>\r\nSubject: hi\r\n\r\nReferences: <body@x>\r\n',
    );
    expect(answeredIds(raw, { inReplyTo: '<env@x>' })).toEqual(['<env@x>', '<one@x>', '<zero@x>', '<two@x>']);
  });

  it('stores the sender in lower case with the position and INTERNALDATE; stores arriving meanwhile share one write', async () => {
    const { queue, writes, release } = fakeQueue();
    let stored = 0;
    const sink = createStoredMailSink(queue, () => (stored += 1));
    const envelope = (n: number) => ({ from: [{ address: `Caller${n}@Example.COM` }], messageId: `<m${n}@x>` });
    const first = sink.handler(Buffer.from('Subject: 1\r\n\r\n1'), source(1), envelope(1));
    const second = sink.handler(Buffer.from('Subject: 2\r\n\r\n2'), source(2), envelope(2));
    const third = sink.oversizedHandler(Buffer.from('Subject: 3\r\n\r\n'), 99_000_000, source(3), envelope(3));
    release();
    expect(await Promise.all([first, second, third])).toEqual([{ outcome: 'stored' }, { outcome: 'stored' }, { outcome: 'stored' }]);
    expect(writes.map((group) => group.map((mail) => Number(mail.uid)))).toEqual([[1], [2, 3]]);
    expect(writes[0]![0]).toMatchObject({ sender: 'caller1@example.com', messageId: '<m1@x>', uidValidity: 3n, receivedAt: new Date('2026-11-29T09:00:00Z') });
    expect(writes[1]![1]).toMatchObject({ oversized: true, size: 99_000_000 });
    expect(stored).toBe(2);
  });

  it('rejects with a retryable error when the write fails, so the message stays unflagged', async () => {
    const { queue, release } = fakeQueue(true);
    const sink = createStoredMailSink(queue, () => undefined);
    const pending = sink.handler(Buffer.from('Subject: 1\r\n\r\n1'), source(1), undefined);
    release();
    const error = await pending.catch((failure: unknown) => failure);
    expect(isDeskbotError(error) && error.retryable).toBe(true);
  });
});
