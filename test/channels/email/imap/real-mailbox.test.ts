// Connecting the intake to a mailbox that already holds mail, against a real Dovecot: where a first start begins
// (IMAP_START), the processed folder written with the wrong hierarchy separator, the reason on every imapflow log
// line, reconnecting within the back-off cap after an outage, and resident memory through a backlog.
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OversizedMailHandler } from '../../../../src/channels/email/imap/batch.ts';
import { createImapSource, type ImapSource } from '../../../../src/channels/email/imap/imap-source.ts';
import { defaultImapTimings, type ImapSettings, type ImapStart, type ImapTimings, parseImapStart } from '../../../../src/channels/email/imap/settings.ts';
import { createSilentLogger, type Logger } from '../../../../src/logger.ts';
import type { InboundMailHandler, InboundSource } from '../../../../src/app/ports.ts';
import type { MailboxPosition, MailboxStateRepository } from '../../../../src/store/mailbox-state-repository.ts';
import { type Dovecot, dovecotAvailable, startDovecot } from '../../../helpers/dovecot.ts';
import { capturedLogger } from '../../../helpers/captured-logger.ts';

const available = dovecotAvailable();
const FLAG = '$DeskbotProcessed';

function mail(id: string, padding = 0): string {
  return [
    `From: Caller ${id} <${id}@customer.example>`,
    'To: support@deskbot.local',
    `Subject: Test ${id}`,
    `Message-ID: <${id}@test.example>`,
    'Date: Mon, 23 Nov 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Body of ${id}.`,
    ...(padding
      ? [
          'x'
            .repeat(76)
            .concat('\r\n')
            .repeat(Math.ceil(padding / 78)),
        ]
      : []),
    '',
  ].join('\r\n');
}

const messageIdOf = (raw: Buffer) => /^Message-ID:\s*(\S+)/im.exec(raw.toString('latin1'))?.[1] ?? '?';

function memoryState(): MailboxStateRepository & { positions: Map<string, MailboxPosition> } {
  const positions = new Map<string, MailboxPosition>();
  // Like the MailboxState table, a saved position reads back with when it was saved.
  return {
    positions,
    get: async (mailbox) => positions.get(mailbox),
    save: async (position) => void positions.set(position.mailbox, { ...position, savedAt: new Date() }),
  };
}

function recorder() {
  const seen: string[] = [];
  const handler: InboundMailHandler = async (raw) => {
    seen.push(messageIdOf(raw));
    return { outcome: 'ticket' };
  };
  return { seen, handler };
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const noOversized: OversizedMailHandler = async () => {
  throw new Error('unexpected oversized message');
};

describe('parseImapStart', () => {
  it.each([
    { text: 'new', expected: { kind: 'new' } },
    { text: 'all', expected: { kind: 'all' } },
    { text: 'since:2026-11-01', expected: { kind: 'since', day: new Date('2026-11-01T00:00:00Z') } },
  ])('reads $text', ({ text, expected }) => {
    expect(parseImapStart(text)).toEqual(expected);
  });

  it('refuses a day that does not exist', () => {
    expect(() => parseImapStart('since:2026-13-45')).toThrow(/IMAP_START/);
  });
});

describe.skipIf(!available)('a real mailbox on Dovecot', () => {
  let dovecot: Dovecot;
  const running: ImapSource[] = [];

  beforeAll(async () => {
    dovecot = await startDovecot();
  });

  afterAll(async () => {
    for (const source of running) await source.stop();
    await dovecot?.stop();
  });

  const createMailbox = (name: string) => dovecot.withClient((client) => client.mailboxCreate(name));
  const appendAt = (mailbox: string, raw: string, internalDate: Date) =>
    dovecot.withClient(async (client) => {
      if (client.mailbox) await client.mailboxClose();
      const appended = await client.append(mailbox, raw, [], internalDate);
      return appended ? appended.uid : undefined;
    });

  function settings(mailbox: string, overrides: Partial<ImapSettings> = {}): ImapSettings {
    return {
      host: dovecot.host,
      port: dovecot.port,
      secure: false,
      rejectUnauthorized: true,
      user: dovecot.user,
      password: dovecot.password,
      mailbox,
      processedAction: 'flag',
      processedFlag: FLAG,
      processedFolder: 'Processed',
      maxBytes: 25 * 1024 * 1024,
      ...overrides,
    };
  }

  function source(
    mailbox: string,
    handler: InboundMailHandler,
    extra: { settings?: Partial<ImapSettings>; timings?: Partial<ImapTimings>; logger?: Logger; state?: MailboxStateRepository } = {},
  ) {
    const created = createImapSource({
      settings: settings(mailbox, extra.settings),
      handler,
      oversizedHandler: noOversized,
      state: extra.state ?? memoryState(),
      logger: extra.logger ?? createSilentLogger(),
      timings: { reconnect: { initialMs: 100, maxMs: 1_000 }, ...extra.timings },
      random: () => 0.5,
    });
    running.push(created);
    return created;
  }

  it.each<{ rule: string; start: ImapStart; expected: string[] }>([
    { rule: 'new leaves the backlog alone and takes only mail arriving after the first start', start: { kind: 'new' }, expected: ['<late@test.example>'] },
    {
      rule: 'since: takes the mail the server received on or after that day, and what arrives later',
      start: { kind: 'since', day: new Date('2026-11-01T00:00:00Z') },
      expected: ['<november@test.example>', '<late@test.example>'],
    },
    {
      rule: 'all works through the whole backlog',
      start: { kind: 'all' },
      expected: ['<october@test.example>', '<november@test.example>', '<late@test.example>'],
    },
  ])('IMAP_START=$start.kind: $rule', async ({ start, expected }) => {
    const mailbox = `Start${start.kind}`;
    await createMailbox(mailbox);
    await appendAt(mailbox, mail('october'), new Date('2026-10-02T09:00:00Z'));
    await appendAt(mailbox, mail('november'), new Date('2026-11-02T09:00:00Z'));
    const fake = recorder();
    const { logger, lines } = capturedLogger();
    const state = memoryState();
    const intake = source(mailbox, fake.handler, { settings: { start }, logger, state });
    await intake.start();
    await waitFor(() => intake.status === 'idle', 10_000, 'IDLE');
    await dovecot.append(mail('late'), [], mailbox);
    await waitFor(() => fake.seen.includes('<late@test.example>'), 10_000, 'the late message');
    await intake.stop();
    expect(fake.seen).toEqual(expected);
    const first = lines.find((line) => line.event === 'first-start');
    expect(first?.start).toBe(start.kind);
    if (start.kind === 'new') expect(first?.skipped).toBe(2);
    // Once a resume point is stored, IMAP_START no longer matters: a restart with `all` takes nothing old.
    const again = recorder();
    const restarted = source(mailbox, again.handler, { settings: { start: { kind: 'all' } }, state });
    await restarted.start();
    await waitFor(() => restarted.status === 'idle', 10_000, 'IDLE after restart');
    await restarted.stop();
    expect(again.seen).toEqual([]);
  });

  it('a UIDVALIDITY change re-scans only mail received since the last save: the backlog IMAP_START=new left alone stays alone', async () => {
    const mailbox = 'Rebuilt';
    const restore = async () => {
      await appendAt(mailbox, mail('old-a'), new Date('2026-10-02T09:00:00Z'));
      await appendAt(mailbox, mail('old-b'), new Date('2026-10-03T09:00:00Z'));
    };
    await createMailbox(mailbox);
    await restore();
    const state = memoryState();
    const before = recorder();
    const first = source(mailbox, before.handler, { settings: { start: { kind: 'new' } }, state });
    await first.start();
    await waitFor(() => first.status === 'idle', 10_000, 'IDLE');
    await first.stop();
    expect(before.seen).toEqual([]);
    // The mailbox is rebuilt (new UIDVALIDITY) with the same old mail, and one request arrives while deskbot is away.
    await dovecot.withClient(async (client) => {
      await client.mailboxDelete(mailbox);
      await client.mailboxCreate(mailbox);
    });
    await restore();
    await dovecot.append(mail('while-away'), [], mailbox);
    const after = recorder();
    const { logger, lines } = capturedLogger();
    const second = source(mailbox, after.handler, { settings: { start: { kind: 'new' } }, state, logger });
    await second.start();
    await waitFor(() => after.seen.length > 0, 10_000, 'the mail that came while deskbot was away');
    await waitFor(() => second.status === 'idle', 10_000, 'IDLE');
    await second.stop();
    expect(after.seen).toEqual(['<while-away@test.example>']);
    expect(lines.find((line) => line.event === 'uidvalidity-changed')?.since).toEqual(expect.any(String));
  });

  it("hands over the server's INTERNALDATE as receivedAt (the age rule of automatic notices)", async () => {
    await createMailbox('Received');
    const internalDate = new Date('2026-10-02T09:00:00Z');
    await appendAt('Received', mail('received'), internalDate);
    const sources: InboundSource[] = [];
    const intake = source(
      'Received',
      async (_raw, from) => {
        sources.push(from);
        return { outcome: 'rejected' };
      },
      { settings: { start: { kind: 'all' } } },
    );
    await intake.start();
    await waitFor(() => sources.length === 1, 10_000, 'the message');
    await intake.stop();
    expect(sources[0]).toMatchObject({ kind: 'imap', mailbox: 'Received', receivedAt: internalDate });
  });

  it('moves processed mail to a folder written with `/` on a server whose separator is `.`, creating it', async () => {
    await createMailbox('MoveSep');
    await dovecot.append(mail('move-sep'), [], 'MoveSep');
    const delimiter = await dovecot.withClient(async (client) => (await client.list()).find((entry) => entry.path === 'INBOX')?.delimiter);
    expect(delimiter).toBe('.');
    const fake = recorder();
    const intake = source('MoveSep', fake.handler, { settings: { start: { kind: 'all' }, processedAction: 'move', processedFolder: 'Archive/Deskbot' } });
    await intake.start();
    await waitFor(() => fake.seen.length === 1, 10_000, 'the message');
    await waitFor(() => intake.status === 'idle', 10_000, 'IDLE');
    await intake.stop();
    const moved = await dovecot.withClient(async (client) => {
      const status = await client.status('Archive.Deskbot', { messages: true });
      return status ? status.messages : undefined;
    });
    expect(moved).toBe(1);
    expect((await dovecot.flags('MoveSep')).size).toBe(0);
  });

  it('names the processed folder when it cannot be created', async () => {
    await createMailbox('MoveBad');
    const { logger, lines } = capturedLogger();
    const folder = `Deskbot/${'x'.repeat(300)}`;
    const intake = source('MoveBad', recorder().handler, { settings: { processedAction: 'move', processedFolder: folder }, logger });
    await intake.start();
    await waitFor(() => lines.some((line) => line.event === 'connection-failed'), 10_000, 'connection-failed');
    await intake.stop();
    const failed = lines.find((line) => line.event === 'connection-failed');
    expect(String(failed?.detail)).toContain(`processed folder Deskbot.${'x'.repeat(300)} (IMAP_PROCESSED_FOLDER=${folder})`);
  });

  it('logs the reason and the server code on every imapflow and connection line of an authentication failure', async () => {
    const { logger, lines } = capturedLogger();
    const intake = source('INBOX', recorder().handler, { settings: { password: 'wrong' }, logger });
    await intake.start();
    await waitFor(() => lines.filter((line) => line.event === 'reconnect-scheduled').length >= 2, 10_000, 'two failed attempts');
    await intake.stop();
    const imapflowLines = lines.filter((line) => String(line.event).startsWith('imapflow-') || line.event === 'connection-error');
    expect(imapflowLines.length).toBeGreaterThan(0);
    for (const line of imapflowLines) {
      expect(line.reason, JSON.stringify(line)).toEqual(expect.any(String));
      expect(line.reason).not.toBe('no reason given');
    }
    expect(imapflowLines.some((line) => line.imapCode === 'AUTHENTICATIONFAILED')).toBe(true);
    const failed = lines.find((line) => line.event === 'connection-failed');
    expect(failed?.code).toBe('IMAP_AUTH');
    expect(String(failed?.detail)).toMatch(/rejected the credentials: .+/);
  });

  it('reconnects within seconds after an outage, with the default back-off', async () => {
    await createMailbox('Outage');
    const fake = recorder();
    const intake = source('Outage', fake.handler, { timings: { reconnect: defaultImapTimings.reconnect } });
    await intake.start();
    await waitFor(() => intake.status === 'idle', 10_000, 'IDLE');
    await dovecot.pause();
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    await dovecot.resume();
    const backAt = Date.now();
    await dovecot.append(mail('after-outage'), [], 'Outage');
    await waitFor(() => fake.seen.includes('<after-outage@test.example>'), 20_000, 'the message after the outage');
    expect(Date.now() - backAt).toBeLessThan(15_000);
    expect(intake.stats().reconnects).toBeGreaterThanOrEqual(1);
    await intake.stop();
  }, 40_000);

  it('works through a backlog of 300 messages with IMAP_START=all within bounded resident memory', async () => {
    await createMailbox('Backlog');
    const count = 300;
    // ~120 KB each: 36 MB of mail in all, parsed as the real handler does.
    for (let n = 0; n < count; n++) await dovecot.append(mail(`backlog-${n}`, 120_000), [], 'Backlog');
    const handled: string[] = [];
    const handler: InboundMailHandler = async (raw) => {
      const parsed = await simpleParser(raw);
      handled.push(parsed.messageId ?? '?');
      return { outcome: 'rejected' };
    };
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 25);
    const intake = source('Backlog', handler, { settings: { start: { kind: 'all' }, concurrency: 8 } });
    try {
      await intake.start();
      await waitFor(() => handled.length === count, 120_000, `${count} messages`);
    } finally {
      clearInterval(sampler);
      await intake.stop();
    }
    const MB = 1024 * 1024;
    console.info(`backlog of ${count}: RSS ${(baseline / MB).toFixed(0)} MB before, peak ${(peak / MB).toFixed(0)} MB`);
    expect(new Set(handled).size).toBe(count);
    expect(peak).toBeLessThan(350 * MB);
    expect(peak - baseline).toBeLessThan(120 * MB);
  }, 180_000);
});
