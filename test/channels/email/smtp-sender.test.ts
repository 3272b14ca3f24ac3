// The senders against a real SMTP server on loopback: headers on the wire, error translation, and the .eml file sender.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DeskbotError } from '../../../src/errors.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import { outgoingMailSchema, type OutgoingMail, type OutgoingMailInput } from '../../../src/app/outbox-messages.ts';
import { newMessageId } from '../../../src/domain/mail/message-id.ts';
import {
  createEmailOutboxHandler,
  createFileSender,
  createSmtpSender,
  subjectWithRequestTag,
  translateSmtpError,
  type MailSender,
} from '../../../src/channels/email/smtp-sender.ts';
import { startSmtpCapture, type SmtpCapture } from '../../helpers/smtp-capture.ts';

const from = { name: 'Acme Support', address: 'support@acme.example' };
const logger = createSilentLogger();

function mail(overrides: Partial<OutgoingMailInput> = {}): OutgoingMail {
  return outgoingMailSchema.parse({
    template: 'acknowledgement',
    to: [{ address: 'jane@customer.example', name: 'Jane Doe' }],
    cc: [{ address: 'ops@customer.example' }],
    subject: 'Re: VPN drops every 5 minutes',
    text: 'We have received your request & opened SR-2026-000123.',
    html: '<p>We have received your request &amp; opened SR-2026-000123.</p>',
    messageId: newMessageId(from.address, randomUUID()),
    inReplyTo: '<original.1@customer.example>',
    references: ['<root.0@customer.example>', '<original.1@customer.example>'],
    autoSubmitted: 'auto-replied',
    requestId: 'SR-2026-000123',
    ...overrides,
  });
}

async function rejection(promise: Promise<unknown>): Promise<DeskbotError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DeskbotError);
    return error as DeskbotError;
  }
  throw new Error('expected a rejection');
}

describe('subjectWithRequestTag', () => {
  it.each([
    ['adds the tag when the request ID is set and missing', 'Re: VPN drops', 'SR-2026-000123', 'Re: VPN drops [SR-2026-000123]'],
    ['keeps a subject that already carries the tag', 'Re: [SR-2026-000123] VPN drops', 'SR-2026-000123', 'Re: [SR-2026-000123] VPN drops'],
    ['recognises the tag case-insensitively', 'Re: VPN [sr-2026-000123]', 'SR-2026-000123', 'Re: VPN [sr-2026-000123]'],
    ['adds the tag when only another request is tagged', 'Re: VPN [SR-2026-000001]', 'SR-2026-000123', 'Re: VPN [SR-2026-000001] [SR-2026-000123]'],
    ['leaves the subject alone without a request ID', 'Your message was too large', undefined, 'Your message was too large'],
    ['folds line breaks into one line', 'VPN\r\n drops', undefined, 'VPN drops'],
  ])('%s', (_rule, subject, requestId, expected) => {
    expect(subjectWithRequestTag(subject, requestId)).toBe(expected);
  });
});

describe('translateSmtpError', () => {
  it.each([
    ['a 421 reply is transient', { code: 'EPROTOCOL', responseCode: 421, permanent: false }, 'SMTP_TRANSIENT', true],
    ['a 451 reply is transient', { code: 'EENVELOPE', responseCode: 451, permanent: false }, 'SMTP_TRANSIENT', true],
    ['a 550 reply is permanent', { code: 'EENVELOPE', responseCode: 550, permanent: true }, 'SMTP_PERMANENT', false],
    ['a 554 reply without the permanent flag is permanent', { code: 'EMESSAGE', response: '554 5.7.1 rejected' }, 'SMTP_PERMANENT', false],
    ['503 (bad sequence) is transient', { code: 'EPROTOCOL', responseCode: 503, permanent: false }, 'SMTP_TRANSIENT', true],
    ['a refused connection is transient', { code: 'ESOCKET', originalCode: 'ECONNREFUSED' }, 'SMTP_TRANSIENT', true],
    ['a timeout is transient', { code: 'ETIMEDOUT' }, 'SMTP_TRANSIENT', true],
    ['rejected credentials (535) wait and retry', { code: 'EAUTH', responseCode: 535, permanent: true }, 'SMTP_TRANSIENT', true],
  ])('%s', (_rule, fields, code, retryable) => {
    const cause = Object.assign(new Error('smtp failure'), fields);
    const translated = translateSmtpError(cause);
    expect(translated.code).toBe(code);
    expect(translated.retryable).toBe(retryable);
    expect(translated.cause).toBe(cause);
  });

  it('pauses five minutes after an authentication failure', () => {
    expect(translateSmtpError(Object.assign(new Error('auth'), { code: 'EAUTH' })).retryAfterMs).toBe(5 * 60_000);
  });
});

describe('createSmtpSender against a real SMTP server', () => {
  let capture: SmtpCapture;
  let sender: MailSender;

  beforeAll(async () => {
    capture = await startSmtpCapture();
    sender = createSmtpSender({ smtpUrl: capture.url, from, logger, connectionTimeoutMs: 2_000, greetingTimeoutMs: 2_000, socketTimeoutMs: 5_000 });
  });
  afterEach(async () => {
    capture.accept();
    capture.messages.length = 0;
    await capture.start();
  });
  afterAll(async () => {
    await sender.close();
    await capture.close();
  });

  it('sends an automatic reply with its threading headers, the [SR-...] tag and RFC 3834 marking', async () => {
    const outgoing = mail();
    const sent = await sender.send(outgoing);
    expect(sent.accepted.sort()).toEqual(['jane@customer.example', 'ops@customer.example']);
    const [captured] = await capture.waitForMessages(1);
    expect(captured!.mailFrom).toBe('support@acme.example');
    expect(captured!.rcptTo.sort()).toEqual(['jane@customer.example', 'ops@customer.example']);
    const parsed = await simpleParser(captured!.raw);
    expect(parsed.messageId).toBe(outgoing.messageId);
    expect(parsed.inReplyTo).toBe('<original.1@customer.example>');
    expect(parsed.references).toEqual(['<root.0@customer.example>', '<original.1@customer.example>']);
    expect(parsed.subject).toBe('Re: VPN drops every 5 minutes [SR-2026-000123]');
    expect(parsed.headers.get('auto-submitted')).toBe('auto-replied');
    expect(parsed.headers.get('x-auto-response-suppress')).toBe('All');
    expect(parsed.headers.get('x-deskbot-request-id')).toBe('SR-2026-000123');
    expect(parsed.headers.has('precedence')).toBe(false);
    expect(parsed.from?.value).toEqual([{ address: 'support@acme.example', name: 'Acme Support' }]);
    expect(parsed.text?.trim()).toBe('We have received your request & opened SR-2026-000123.');
    expect(parsed.html).toContain('&amp; opened');
  });

  it('sends engineer-written mail without Auto-Submitted or X-Auto-Response-Suppress', async () => {
    await sender.send(mail({ template: 'engineer-reply', autoSubmitted: 'no', subject: 'Re: [SR-2026-000123] VPN drops' }));
    const parsed = await simpleParser((await capture.waitForMessages(1))[0]!.raw);
    expect(parsed.headers.has('auto-submitted')).toBe(false);
    expect(parsed.headers.has('x-auto-response-suppress')).toBe(false);
    expect(parsed.subject).toBe('Re: [SR-2026-000123] VPN drops');
  });

  it('keeps its own headers over payload headers and strips line breaks from the rest', async () => {
    await sender.send(
      mail({
        autoSubmitted: 'auto-generated',
        headers: { 'Auto-Submitted': 'no', Precedence: 'bulk', 'X-Deskbot-Request-Id': 'SR-1999-000001', 'X-Ticket-Note': 'one\r\nBcc: victim@example.com' },
      }),
    );
    const parsed = await simpleParser((await capture.waitForMessages(1))[0]!.raw);
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(parsed.headers.has('precedence')).toBe(false);
    expect(parsed.headers.get('x-deskbot-request-id')).toBe('SR-2026-000123');
    expect(parsed.headers.get('x-ticket-note')).toBe('one Bcc: victim@example.com');
    expect(parsed.bcc).toBeUndefined();
    expect(capture.messages[0]!.rcptTo).not.toContain('victim@example.com');
  });

  it('turns a 421 greeting into SMTP_TRANSIENT (retryable)', async () => {
    // A fresh pool: the shared one would reuse a connection greeted before the refusal.
    const fresh = createSmtpSender({ smtpUrl: capture.url, from, logger });
    capture.refuse(421, { stage: 'connect' });
    try {
      const error = await rejection(fresh.send(mail()));
      expect(error).toMatchObject({ code: 'SMTP_TRANSIENT', retryable: true });
      expect(error.cause).toBeInstanceOf(Error);
      expect(capture.refusals).toBeGreaterThan(0);
    } finally {
      await fresh.close();
    }
  });

  it('turns a 451 to RCPT TO into SMTP_TRANSIENT (retryable)', async () => {
    capture.refuse(451, { stage: 'rcpt' });
    const error = await rejection(sender.send(mail({ cc: [] })));
    expect(error).toMatchObject({ code: 'SMTP_TRANSIENT', retryable: true, details: { responseCode: 451 } });
  });

  it('turns a 550 into SMTP_PERMANENT (not retryable) and keeps the cause', async () => {
    capture.refuse(550, { stage: 'rcpt' });
    const error = await rejection(sender.send(mail({ cc: [] })));
    expect(error).toMatchObject({ code: 'SMTP_PERMANENT', retryable: false, details: { responseCode: 550 } });
    expect((error.cause as { responseCode?: number }).responseCode).toBe(550);
    expect(capture.messages).toHaveLength(0);
  });

  it('turns a refused connection into SMTP_TRANSIENT', async () => {
    await capture.stop();
    const error = await rejection(sender.send(mail()));
    expect(error).toMatchObject({ code: 'SMTP_TRANSIENT', retryable: true });
  });

  it('turns a server that never greets into SMTP_TRANSIENT after the greeting timeout', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    const slow = createSmtpSender({ smtpUrl: `smtp://127.0.0.1:${port}`, from, logger, greetingTimeoutMs: 200 });
    try {
      const error = await rejection(slow.send(mail()));
      expect(error).toMatchObject({ code: 'SMTP_TRANSIENT', retryable: true, details: { smtpCode: 'ETIMEDOUT' } });
    } finally {
      await slow.close();
      silent.close();
    }
  });

  it('abandons a send that outlasts sendTimeoutMs as SMTP_TRANSIENT, so it ends inside the outbox lease', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    const slow = createSmtpSender({ smtpUrl: `smtp://127.0.0.1:${port}`, from, logger, greetingTimeoutMs: 60_000, sendTimeoutMs: 200 });
    try {
      const started = Date.now();
      const error = await rejection(slow.send(mail()));
      expect(error).toMatchObject({ code: 'SMTP_TRANSIENT', retryable: true, details: { smtpCode: 'EABORT' } });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await slow.close();
      silent.close();
    }
  });
});

describe('createFileSender', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-outbox-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes a parseable RFC 5322 .eml file with CRLF line ends and the same headers as SMTP', async () => {
    const sender = createFileSender({ dir, from });
    const outgoing = mail();
    const sent = await sender.send(outgoing);
    expect(path.dirname(sent.response)).toBe(dir);
    expect(sent.response.endsWith('.eml')).toBe(true);
    const raw = fs.readFileSync(sent.response);
    expect(raw.toString('latin1')).toMatch(/^[\s\S]*\r\n\r\n/);
    expect(raw.toString('latin1')).not.toMatch(/[^\r]\n/);
    const parsed = await simpleParser(raw);
    expect(parsed.messageId).toBe(outgoing.messageId);
    expect(parsed.inReplyTo).toBe('<original.1@customer.example>');
    expect(parsed.subject).toBe('Re: VPN drops every 5 minutes [SR-2026-000123]');
    expect(parsed.headers.get('auto-submitted')).toBe('auto-replied');
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value[0]?.address : undefined).toBe('jane@customer.example');
    await sender.close();
  });

  it('rewrites the same file when the same Message-ID is sent twice', async () => {
    const sender = createFileSender({ dir: path.join(dir, 'again'), from });
    const outgoing = mail();
    await sender.send(outgoing);
    await sender.send(outgoing);
    expect(fs.readdirSync(path.join(dir, 'again'))).toHaveLength(1);
  });

  it('serves as the email outbox handler and refuses a malformed payload as non-retryable', async () => {
    const handler = createEmailOutboxHandler(createFileSender({ dir: path.join(dir, 'handler'), from }));
    await handler.deliver({ id: '7', payload: mail() });
    expect(fs.readdirSync(path.join(dir, 'handler'))).toHaveLength(1);
    const error = await rejection(handler.deliver({ id: '8', payload: { subject: 'no recipients' } }));
    expect(error).toMatchObject({ code: 'INTERNAL', retryable: false, details: { outboxId: '8' } });
  });
});
