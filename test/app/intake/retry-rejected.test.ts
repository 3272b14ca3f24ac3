// Running a rejected mail again (`deskbot inbound retry`, `/support retry`) on PGlite and PostgreSQL: the raw message is
// kept with its rejection, a retry while the sender is still unknown stays rejected without a second notice, and once
// the directory names the sender the same message opens a ticket with its acknowledgement; the first notice stays.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDirectoryFile } from '../../../src/app/import-directory.ts';
import { createInboundEmailHandler, type InboundEmail } from '../../../src/app/intake/handle-inbound-email.ts';
import { createTemplateRenderer } from '../../../src/channels/email/templates.ts';
import { canonicalMessageId } from '../../../src/domain/mail/message-id.ts';
import { defaultPolicy } from '../../../src/domain/policy.ts';
import { isDeskbotError } from '../../../src/errors.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import type { Database } from '../../../src/store/database.ts';
import { inboundRaw, listInbound } from '../../../src/store/inbound-repository.ts';
import { backends } from '../../helpers/backends.ts';
import { manualClock } from '../../helpers/sla-fixtures.ts';
import { storeAccess } from '../../../src/store/transactor.ts';
import { mailParser } from '../../../src/channels/email/parse-message.ts';
import { intakeConfig } from '../../helpers/intake-config.ts';

const policy = defaultPolicy();
const logger = createSilentLogger();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-retry-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const STRANGER = '<stranger-help-1@unknown.example>';

/** examples/directory.yaml with `email` added as an eligible caller of NORDIC (a Kerio Control licence). */
function directoryWithStranger(email = 'someone@unknown.example'): string {
  const text = fs.readFileSync(path.resolve('examples/directory.yaml'), 'utf8');
  const anchor = '      - { email: lars@nordic.example, name: Lars Berg }\n';
  if (!text.includes(anchor)) throw new Error('examples/directory.yaml changed: update this test');
  const file = path.join(tmp, 'directory.yaml');
  fs.writeFileSync(file, text.replace(anchor, `${anchor}      - { email: ${email}, name: Sam Someone }\n`));
  return file;
}

describe('canonicalMessageId', () => {
  it.each([
    ['with brackets', '<a.b@example.com>', '<a.b@example.com>'],
    ['without brackets', 'a.b@example.com', '<a.b@example.com>'],
    ['surrounding spaces', '  <a.b@example.com> ', '<a.b@example.com>'],
    ['inner space is not an ID', 'a b@example.com', null],
    ['empty', '<>', null],
  ])('%s', (_rule, text, expected) => {
    expect(canonicalMessageId(text)).toBe(expected);
  });
});

describe.each(backends)('retrying rejected mail on $name', (backend) => {
  let database: Database;
  let dispose: () => Promise<void>;
  let intake: InboundEmail;
  const clock = manualClock('2026-11-17T15:00:00Z');

  beforeAll(async () => {
    if (!backend.available) return;
    const opened = await backend.open();
    database = opened.database;
    dispose = opened.dispose;
    await importDirectoryFile(path.resolve('examples/directory.yaml'), { ...storeAccess(database, policy), policy });
    intake = createInboundEmailHandler({
      ...storeAccess(database, policy),
      parser: mailParser,
      policy,
      clock,
      logger,
      renderer: createTemplateRenderer(),
      config: intakeConfig(tmp),
    });
  });
  afterAll(async () => {
    if (backend.available) await dispose();
  });

  const test = it.skipIf(!backend.available);
  const emails = async () => (await database.prisma.outbox.findMany({ where: { channel: 'email' }, orderBy: { id: 'asc' } })).map((row) => row.idempotencyKey);
  const failure = (work: Promise<unknown>) =>
    work.then(
      () => null,
      (error: unknown) => error,
    );

  test('a rejected mail is kept whole, retried after the directory changed, and opens a ticket', async () => {
    const raw = fs.readFileSync(path.resolve('test/fixtures/mail/not-eligible.eml'));
    expect(await intake.handleInboundEmail(raw, { kind: 'stdin' })).toMatchObject({ outcome: 'rejected', reason: 'unknown-sender' });
    expect(await inboundRaw(database.prisma, STRANGER)).toEqual(raw);
    expect(await emails()).toEqual([`not-eligible:${STRANGER}`]);
    expect(await listInbound(database.prisma, { outcome: 'rejected' })).toMatchObject([
      { messageId: STRANGER, retryable: true, fromAddress: 'someone@unknown.example' },
    ]);

    // Still unknown: rejected again, no second notice, the first rejection kept.
    clock.set('2026-11-17T16:00:00Z');
    expect(await intake.retryRejected(STRANGER)).toMatchObject({ outcome: 'rejected', reason: 'unknown-sender' });
    expect(await emails()).toEqual([`not-eligible:${STRANGER}`]);
    expect(await database.prisma.ticket.count()).toBe(0);

    await importDirectoryFile(directoryWithStranger(), { ...storeAccess(database, policy), policy });
    clock.set('2026-11-17T17:00:00Z');
    const retried = await intake.retryRejected('stranger-help-1@unknown.example');
    expect(retried).toMatchObject({ outcome: 'ticket', requestId: expect.stringMatching(/^SR-2026-\d{6}$/) });
    const ticket = await database.prisma.ticket.findUniqueOrThrow({ where: { id: retried.ticketId! } });
    expect(ticket).toMatchObject({ requesterEmail: 'someone@unknown.example', severity: 4, openedAt: clock.now(), source: 'email' });
    expect(await emails()).toEqual([`not-eligible:${STRANGER}`, `ack:${retried.requestId}`]);
    const record = await database.prisma.inboundMessage.findUniqueOrThrow({ where: { messageId: STRANGER } });
    expect(record).toMatchObject({
      outcome: 'ticket',
      ticketId: ticket.id,
      previousOutcome: 'rejected',
      previousReason: 'unknown-sender',
      retriedAt: clock.now(),
    });
    expect(await inboundRaw(database.prisma, STRANGER)).toBeNull();

    // Now a ticket: not rejected any more, so a second retry is refused.
    const again = await failure(intake.retryRejected(STRANGER));
    expect(isDeskbotError(again, 'INVALID_STATE')).toBe(true);
    expect((again as Error).message).toContain('was not rejected (it ended as ticket)');
  });

  test('two retries of the same mail at once open one ticket: the second finds it handled and changes nothing', async () => {
    const raw = fs
      .readFileSync(path.resolve('test/fixtures/mail/not-eligible.eml'))
      .toString('utf8')
      .replace('<stranger-help-1@unknown.example>', '<stranger-twice-1@unknown.example>')
      .replaceAll('someone@unknown.example', 'twice@unknown.example');
    const twice = '<stranger-twice-1@unknown.example>';
    expect(await intake.handleInboundEmail(Buffer.from(raw), { kind: 'stdin' })).toMatchObject({ outcome: 'rejected', reason: 'unknown-sender' });
    await importDirectoryFile(directoryWithStranger('twice@unknown.example'), { ...storeAccess(database, policy), policy });
    const tickets = await database.prisma.ticket.count();
    const mails = (await emails()).length;
    const results = await Promise.allSettled([intake.retryRejected(twice), intake.retryRejected(twice)]);
    const endings = results.map((result) => (result.status === 'fulfilled' ? result.value : result.reason));
    const opened = endings.filter((ending) => (ending as { outcome?: string }).outcome === 'ticket');
    expect(opened).toHaveLength(1);
    // The other one either found the mail handled before it began (a duplicate of that ticket) or, having waited for
    // the record's lock, found it handled meanwhile: a clear refusal, never a storage error.
    const other = endings.find((ending) => ending !== opened[0]);
    if (isDeskbotError(other, 'INVALID_STATE')) expect((other as Error).message).toMatch(/was (handled meanwhile|not rejected) \(it ended as ticket\)/);
    else expect(other).toMatchObject({ outcome: 'duplicate', ticketId: (opened[0] as { ticketId: number }).ticketId });
    expect(await database.prisma.ticket.count()).toBe(tickets + 1);
    expect((await emails()).length).toBe(mails + 1);
  });

  test('an unknown Message-ID and text that is not one are NOT_FOUND', async () => {
    expect(isDeskbotError(await failure(intake.retryRejected('<nobody@nowhere.example>')), 'NOT_FOUND')).toBe(true);
    expect(isDeskbotError(await failure(intake.retryRejected('not an id')), 'NOT_FOUND')).toBe(true);
  });
});
