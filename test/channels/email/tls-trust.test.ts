// TLS trust for the mail channels with certificates made in the test (a throw-away CA and a server certificate it
// signed): IMAP over implicit TLS and STARTTLS against a real Dovecot, SMTP over implicit TLS and STARTTLS against a
// real smtp-server; a private CA is trusted only through IMAP_TLS_CA_FILE / SMTP_TLS_CA_FILE, and a TLS mismatch or an
// untrusted certificate names the setting to change. Also: start-up refuses a CA file it cannot read (exit 78).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaFile } from '../../../src/channels/email/ca-file.ts';
import { ImapSession } from '../../../src/channels/email/imap/session.ts';
import { defaultImapTimings, type ImapSettings } from '../../../src/channels/email/imap/settings.ts';
import { outgoingMailSchema } from '../../../src/app/outbox-messages.ts';
import { newMessageId } from '../../../src/domain/mail/message-id.ts';
import { createMailSenderFromConfig, createSmtpSender } from '../../../src/channels/email/smtp-sender.ts';
import { exitCodes } from '../../../src/cli/io.ts';
import { loadConfig } from '../../../src/config.ts';
import { DeskbotError } from '../../../src/errors.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import type { MailboxPosition, MailboxStateRepository } from '../../../src/store/mailbox-state-repository.ts';
import { dovecotAvailable, startDovecot, type Dovecot } from '../../helpers/dovecot.ts';
import { freePort } from '../../helpers/net.ts';
import { makeTestCertificates, type TestCertificates } from '../../helpers/tls-certs.ts';

const logger = createSilentLogger();
const from = { name: 'Support', address: 'support@deskbot.local' };

function memoryState(): MailboxStateRepository {
  const positions = new Map<string, MailboxPosition>();
  return { get: async (mailbox) => positions.get(mailbox), save: async (position) => void positions.set(position.mailbox, position) };
}

async function failure(promise: Promise<unknown>): Promise<DeskbotError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DeskbotError);
    return error as DeskbotError;
  }
  throw new Error('expected a failure');
}

let certs: TestCertificates;
beforeAll(() => {
  certs = makeTestCertificates();
});
afterAll(() => certs?.remove());

describe('TLS CA files at start', () => {
  const base = { IMAP_HOST: 'mail.example', IMAP_USER: 'u', IMAP_PASSWORD: 'p' };

  it.each(['IMAP_TLS_CA_FILE', 'SMTP_TLS_CA_FILE'])('a missing %s is CONFIG_INVALID (exit 78) naming the variable', (variable) => {
    const error = (() => {
      try {
        loadConfig({ ...base, [variable]: path.join(certs.dir, 'missing.pem') });
      } catch (caught) {
        return caught as DeskbotError;
      }
      throw new Error('expected CONFIG_INVALID');
    })();
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(variable);
    expect(error.message).toContain('ENOENT');
    expect(exitCodes.config).toBe(78);
  });

  it('a readable CA file is accepted and read', () => {
    const config = loadConfig({ ...base, IMAP_TLS_CA_FILE: certs.caFile, SMTP_TLS_CA_FILE: certs.caFile, SMTP_TLS_REJECT_UNAUTHORIZED: 'false' });
    expect(config.IMAP_TLS_CA_FILE).toBe(certs.caFile);
    expect(config.SMTP_TLS_REJECT_UNAUTHORIZED).toBe(false);
    expect(readCaFile('IMAP_TLS_CA_FILE', certs.caFile)).toContain('BEGIN CERTIFICATE');
  });

  it('a CA file that vanished after start-up fails naming the variable', () => {
    expect(() => readCaFile('SMTP_TLS_CA_FILE', path.join(certs.dir, 'gone.pem'))).toThrow(/SMTP_TLS_CA_FILE: cannot read/);
  });
});

describe.skipIf(!dovecotAvailable())('IMAP over TLS (Dovecot)', () => {
  let dovecot: Dovecot;
  beforeAll(async () => {
    dovecot = await startDovecot({ tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile } });
  });
  afterAll(async () => dovecot?.stop());

  function settings(overrides: Partial<ImapSettings>): ImapSettings {
    return {
      host: 'localhost',
      port: dovecot.tlsPort,
      secure: true,
      rejectUnauthorized: true,
      user: dovecot.user,
      password: dovecot.password,
      mailbox: 'INBOX',
      processedAction: 'flag',
      processedFlag: '$DeskbotProcessed',
      processedFolder: 'Processed',
      maxBytes: 1024 * 1024,
      ...overrides,
    };
  }

  async function open(overrides: Partial<ImapSettings>): Promise<ImapSession> {
    const timings = { ...defaultImapTimings, connectTimeoutMs: 5_000 };
    const session = new ImapSession({ settings: settings(overrides), timings, state: memoryState(), log: logger, onClose: () => {}, onNewMail: () => {} });
    try {
      await session.open();
    } catch (error) {
      await session.close();
      throw error;
    }
    return session;
  }

  it.each([
    { rule: 'implicit TLS (IMAP_SECURE=true) on the imaps port', secure: true, tlsPort: true },
    { rule: 'STARTTLS (IMAP_SECURE=false) on the plain port', secure: false, tlsPort: false },
  ])('$rule: trusts the private CA given in IMAP_TLS_CA_FILE', async ({ secure, tlsPort }) => {
    const session = await open({ secure, port: tlsPort ? dovecot.tlsPort : dovecot.port, ca: readCaFile('IMAP_TLS_CA_FILE', certs.caFile) });
    expect(session.client.secureConnection).toBe(true);
    await session.close();
  });

  it('without the CA the certificate is refused, and the error names IMAP_TLS_CA_FILE', async () => {
    const error = await failure(open({}));
    expect(error.code).toBe('IMAP_CONNECTION');
    expect(error.message).toContain('IMAP_TLS_CA_FILE');
  });

  it('IMAP_TLS_REJECT_UNAUTHORIZED=false accepts a certificate no CA vouches for', async () => {
    const session = await open({ rejectUnauthorized: false });
    expect(session.client.secureConnection).toBe(true);
    await session.close();
  });

  it('implicit TLS against the STARTTLS port says to set IMAP_SECURE=false', async () => {
    const error = await failure(open({ port: dovecot.port, secure: true, ca: readCaFile('IMAP_TLS_CA_FILE', certs.caFile) }));
    expect(error.code).toBe('IMAP_CONNECTION');
    expect(error.message).toMatch(/wrong version number/i);
    expect(error.message).toContain('IMAP_SECURE=false');
  });
});

describe('SMTP over TLS (smtp-server)', () => {
  const servers: SMTPServer[] = [];
  const received: Array<{ secure: boolean; port: number }> = [];

  async function listen(secure: boolean, certFile = certs.serverCertFile, keyFile = certs.serverKeyFile): Promise<number> {
    const port = await freePort();
    const server = new SMTPServer({
      secure,
      key: fs.readFileSync(keyFile),
      cert: fs.readFileSync(certFile),
      authOptional: true,
      logger: false,
      onData(stream, session, callback) {
        stream.resume();
        stream.on('end', () => {
          received.push({ secure: session.secure, port });
          callback();
        });
      },
    });
    server.on('error', () => undefined);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    servers.push(server);
    return port;
  }

  afterAll(async () => {
    for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const mail = () =>
    outgoingMailSchema.parse({
      template: 'acknowledgement',
      to: [{ address: 'jane@customer.example' }],
      subject: 'TLS check',
      text: 'Sent over TLS.',
      messageId: newMessageId(from.address, randomUUID()),
      autoSubmitted: 'auto-replied',
    });

  const sender = (url: string, tls?: { ca?: string; rejectUnauthorized?: boolean }) =>
    createSmtpSender({ smtpUrl: url, from, logger, connectionTimeoutMs: 5_000, greetingTimeoutMs: 5_000, ...(tls ? { tls } : {}) });

  it.each([
    { rule: 'implicit TLS (smtps://)', secure: true, scheme: 'smtps' },
    { rule: 'STARTTLS (smtp://)', secure: false, scheme: 'smtp' },
  ])('$rule: trusts the private CA given in SMTP_TLS_CA_FILE', async ({ secure, scheme }) => {
    const port = await listen(secure);
    const smtp = createMailSenderFromConfig(
      { SMTP_URL: `${scheme}://localhost:${port}`, SMTP_TLS_CA_FILE: certs.caFile, SUPPORT_ADDRESS: from.address, SUPPORT_NAME: from.name, dataDir: certs.dir },
      logger,
    );
    try {
      await smtp.send(mail());
    } finally {
      await smtp.close();
    }
    expect(received.filter((entry) => entry.port === port)).toEqual([{ secure: true, port }]);
  });

  it('without the CA the certificate is refused, and the error names SMTP_TLS_CA_FILE', async () => {
    const port = await listen(true);
    const smtp = sender(`smtps://localhost:${port}`);
    const error = await failure(smtp.send(mail()));
    await smtp.close();
    expect(error.code).toBe('SMTP_TRANSIENT');
    expect(error.message).toContain('SMTP_TLS_CA_FILE');
  });

  it('SMTP_TLS_REJECT_UNAUTHORIZED=false accepts a self-signed certificate', async () => {
    const port = await listen(false, certs.selfSignedCertFile, certs.selfSignedKeyFile);
    const smtp = sender(`smtp://localhost:${port}`, { rejectUnauthorized: false });
    await smtp.send(mail());
    await smtp.close();
    expect(received.filter((entry) => entry.port === port)).toEqual([{ secure: true, port }]);
  });

  it('smtps:// against a STARTTLS port says to write SMTP_URL as smtp://', async () => {
    const port = await listen(false);
    const smtp = sender(`smtps://localhost:${port}`, { ca: readCaFile('SMTP_TLS_CA_FILE', certs.caFile) });
    const error = await failure(smtp.send(mail()));
    await smtp.close();
    expect(error.message).toMatch(/wrong version number/i);
    expect(error.message).toContain('smtp://');
  });
});
