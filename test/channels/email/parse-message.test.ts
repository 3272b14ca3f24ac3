// parseMessage over real .eml fixtures: sender identity, threading IDs, charsets, HTML-only mail, damaged MIME,
// attachment metadata without content, delivery reports, and what counts as nothing usable.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { headerBlockOf } from '../../../src/domain/mail/headers.ts';
import { messageIdsIn, parseHeaders, parseMessage, syntheticMessageId } from '../../../src/channels/email/parse-message.ts';

const fixtureDir = path.resolve('test/fixtures/mail');
const fixture = (name: string, replacements: Record<string, string> = {}): Buffer => {
  let raw = fs.readFileSync(path.join(fixtureDir, name), 'latin1');
  for (const [key, value] of Object.entries(replacements)) raw = raw.replaceAll(`%${key}%`, value);
  return Buffer.from(raw, 'latin1');
};

describe('parseMessage: sender identity', () => {
  it('takes the From address, never the display name, even when the name looks like an address', async () => {
    const mail = await parseMessage(fixture('display-name-spoof.eml'));
    expect(mail.from).toEqual({ address: 'attacker@evil.example', name: 'Ana Ops <ops@acme.example>' });
    expect(mail.replyTo).toEqual([{ address: 'ops@acme.example', name: null }]);
    expect(mail.unusable).toBeNull();
  });

  it('refuses a From with two angle addresses as ambiguous (parsers disagree which one is the sender)', async () => {
    const raw = Buffer.from('From: Ana Ops <ops@acme.example> <attacker@evil.example>\r\nSubject: hi\r\nMessage-ID: <two@evil.example>\r\n\r\nbody\r\n');
    const mail = await parseMessage(raw);
    expect(mail.from).toBeNull();
    expect(mail.unusable).toBe('sender-ambiguous');
  });

  it('refuses several From mailboxes as ambiguous', async () => {
    const mail = await parseMessage(Buffer.from('From: a@acme.example, b@acme.example\r\nSubject: hi\r\n\r\nbody\r\n'));
    expect(mail.unusable).toBe('sender-ambiguous');
  });

  it('lower-cases the address for comparison', async () => {
    const mail = await parseMessage(Buffer.from('From: Ana <OPS@Acme.Example>\r\nSubject: hi\r\n\r\nbody\r\n'));
    expect(mail.from?.address).toBe('ops@acme.example');
  });
});

describe('parseMessage: an address only inside an encoded-word is no address (issue 13 point 12)', () => {
  const encoded = (text: string) => `=?utf-8?B?${Buffer.from(text).toString('base64')}?=`;
  it.each([
    ['a lone encoded-word decoding to a name and an address', encoded('Ana Ops <ops@acme.example>')],
    ['a lone encoded-word decoding to a bare address', '=?utf-8?q?ops=40acme.example?='],
    ['an encoded-word inside the angle brackets', 'Ana <=?utf-8?q?ops=40acme.example?=>'],
    ['an encoded local part before a literal domain', '=?utf-8?q?ops?=@acme.example'],
    ['a quoted display name holding the address, the real one encoded', '"ops@acme.example" <=?utf-8?q?ops=40acme.example?=>'],
  ])('%s is sender-invalid', async (_rule, from) => {
    const mail = await parseMessage(Buffer.from(`From: ${from}\r\nSubject: hi\r\nMessage-ID: <enc@evil.example>\r\n\r\nbody\r\n`));
    expect(mail.from).toBeNull();
    expect(mail.unusable).toBe('sender-invalid');
  });

  it.each([
    ['an encoded display name before a literal address', `${encoded('Ana Ops')} <ops@acme.example>`, 'Ana Ops', 'ops@acme.example'],
    ['a literal address with a comment', 'ops@acme.example (Ana)', 'Ana', 'ops@acme.example'],
    ['a raw UTF-8 local part (RFC 6532)', 'José <josé@acme.example>', 'José', 'josé@acme.example'],
    ['a raw UTF-8 local part whose bytes fall in the C1 range', 'Ő <ő—x@acme.example>', 'Ő', 'ő—x@acme.example'],
  ])('%s stays the sender', async (_rule, from, name, address = 'ops@acme.example') => {
    const mail = await parseMessage(Buffer.from(`From: ${from}\r\nSubject: hi\r\n\r\nbody\r\n`, 'utf8'));
    expect(mail.from).toEqual({ address, name });
    expect(mail.unusable).toBeNull();
  });
});

describe('parseMessage: customer text neutralised (issue 13 points 10 and 11)', () => {
  it('strips bidi overrides and control characters from subject, display name, attachment name and text', async () => {
    const raw = Buffer.from(
      [
        'From: =?utf-8?q?Ana_=E2=80=AEspO=00?= <ops@acme.example>',
        'Subject: =?utf-8?q?Invoice_=E2=80=AEfdp.exe=E2=81=A6_=1B[31m_x=0D=0ABcc:_victim@example.com?=',
        'Message-ID: <bidi@acme.example>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'line one \u202Ereversed\u202C\u0007',
        'line two',
        '--b',
        'Content-Type: application/octet-stream',
        'Content-Disposition: attachment; filename="=?utf-8?q?report=E2=80=AEfdp.exe?="',
        '',
        'x',
        '--b--',
        '',
      ].join('\r\n'),
    );
    const mail = await parseMessage(raw);
    expect(mail.from).toEqual({ address: 'ops@acme.example', name: 'Ana spO' });
    expect(mail.subject).toBe('Invoice fdp.exe [31m x Bcc: victim@example.com');
    expect(mail.attachments[0]?.filename).toBe('reportfdp.exe');
    expect(mail.text).toBe('line one reversed\nline two');
    const everything = JSON.stringify([mail.subject, mail.from, mail.text, mail.attachments, [...mail.headers.values()]]);
    expect(everything).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u0000-\u0008\u000B-\u001F]/);
  });

  it('caps a 171 KB encoded-word subject at 250 characters', async () => {
    const words = Array.from({ length: 2_500 }, () => `=?utf-8?B?${Buffer.from('Wichtige Störung '.repeat(3)).toString('base64')}?=`).join('\r\n ');
    const mail = await parseMessage(Buffer.from(`From: ops@acme.example\r\nSubject: ${words} [SR-2026-000123]\r\n\r\nbody\r\n`));
    expect(words.length).toBeGreaterThan(170_000);
    expect([...mail.subject].length).toBeLessThanOrEqual(250);
    expect(mail.subject.endsWith('… [SR-2026-000123]')).toBe(true);
  });
});

describe('parseMessage: threading and identity of the message', () => {
  it('reads Message-ID, In-Reply-To and References', async () => {
    const mail = await parseMessage(fixture('reply-with-missing-info.eml'));
    expect(mail.messageId).toBe('<incomplete-2@acme.example>');
    expect(mail.messageIdSynthetic).toBe(false);
    expect(mail.inReplyTo).toEqual(['<incomplete-1@acme.example>']);
    expect(mail.references).toEqual(['<incomplete-1@acme.example>']);
  });

  it('gives a message without Message-ID a stable synthetic one from its raw bytes', async () => {
    const raw = Buffer.from('From: ops@acme.example\r\nSubject: no id\r\n\r\nbody\r\n');
    const first = await parseMessage(raw);
    const again = await parseMessage(Buffer.from(raw));
    expect(first.messageIdSynthetic).toBe(true);
    expect(first.messageId).toBe(again.messageId);
    expect(first.messageId).toBe(syntheticMessageId(raw));
    expect(first.messageId).toMatch(/^<sha256\.[0-9a-f]{64}@synthetic\.deskbot\.invalid>$/);
    const other = await parseMessage(Buffer.from('From: ops@acme.example\r\nSubject: no id\r\n\r\nother body\r\n'));
    expect(other.messageId).not.toBe(first.messageId);
  });

  it('finds Message-IDs in header text', () => {
    expect(messageIdsIn('<a@x> junk <b@y>\t<a@x>')).toEqual(['<a@x>', '<b@y>']);
  });
});

describe('parseMessage: charsets and HTML', () => {
  it.each([
    ['iso-8859-2.eml', 'Kerio Control 9.4.2 padá při spuštění', 'Žluťoučký kůň úpěl ďábelské ódy.', 'Karin Lund čeština'],
    [
      'windows-1252.eml',
      'VPN drops users – “urgent”',
      'the “Kerio Control 9.4.2” VPN drops every user after 30 minutes – we lose about 500 € an hour.',
      'Lars Berg',
    ],
    ['shift-jis.eml', '起動エラー', 'サーバーが起動しません。', '田中'],
    ['koi8-r.eml', 'Почта не работает', 'Здравствуйте, почтовый сервер не принимает письма.', 'Иван Петров'],
  ])('decodes %s (subject, body and display name)', async (name, subject, bodyLine, displayName) => {
    const mail = await parseMessage(fixture(name));
    expect(mail.subject).toBe(subject);
    expect(mail.text).toContain(bodyLine);
    expect(mail.from?.name).toBe(displayName);
    expect(mail.unusable).toBeNull();
  });

  it('converts HTML-only mail to text (also inside multipart/mixed, where mailparser leaves text empty)', async () => {
    const mail = await parseMessage(fixture('html-only.eml'));
    expect(mail.text).toContain('our Kerio Connect 10.0.1 webmail shows error 500 after login.');
    expect(mail.text).toContain('Severity: 3');
    expect(mail.text).not.toMatch(/<p>|<b>|color: #333/);
    expect(mail.repairs).toContain('html-converted');
  });
});

describe('parseMessage: attachments', () => {
  it('keeps name, size and type of attachments, never their content', async () => {
    const mail = await parseMessage(fixture('reply-in-reply-to.eml', { ACK_MESSAGE_ID: '<deskbot.00000000-0000-4000-8000-000000000000@deskbot.local>' }));
    expect(mail.attachments).toEqual([{ filename: 'crash.log', contentType: 'text/plain', size: 84, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(JSON.stringify(mail)).not.toContain('segfault');
    expect(mail.text).not.toContain('segfault');
  });

  it('counts a large attachment without keeping it', async () => {
    const content = Buffer.alloc(3 * 1024 * 1024, 7);
    const raw = Buffer.from(
      'From: ops@acme.example\r\nSubject: big\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n' +
        `--x\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=dump.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n${content.toString('base64').replace(/.{76}/g, '$&\r\n')}\r\n--x--\r\n`,
    );
    const mail = await parseMessage(raw);
    const sha256 = createHash('sha256').update(content).digest('hex');
    expect(mail.attachments).toEqual([{ filename: 'dump.bin', contentType: 'application/octet-stream', size: content.length, sha256 }]);
  });

  it('streams an attachment’s content on a second pass, only for the attachments asked for', async () => {
    const first = Buffer.alloc(200_000, 1);
    const second = Buffer.alloc(300_000, 2);
    const part = (name: string, content: Buffer) =>
      `--x\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=${name}\r\n` +
      `Content-Transfer-Encoding: base64\r\n\r\n${content.toString('base64').replace(/.{76}/g, '$&\r\n')}\r\n`;
    const raw = Buffer.from(
      'From: ops@acme.example\r\nSubject: two\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n' +
        `${part('a.bin', first)}${part('b.bin', second)}--x--\r\n`,
    );
    const mail = await parseMessage(raw);
    const seen: Array<{ index: number; slices: number; content: Buffer }> = [];
    await mail.readAttachments!(new Set([1]), async (index, content) => {
      const slices: Buffer[] = [];
      for await (const slice of content) slices.push(slice);
      seen.push({ index, slices: slices.length, content: Buffer.concat(slices) });
    });
    expect(seen.map((entry) => entry.index)).toEqual([1]);
    expect(seen[0]!.content.equals(second)).toBe(true);
    expect(seen[0]!.slices).toBeGreaterThan(1);
    expect(createHash('sha256').update(seen[0]!.content).digest('hex')).toBe(mail.attachments[1]!.sha256);
  });

  it('gives the new text of a reply apart from the full text', async () => {
    const raw = Buffer.from(
      'From: ops@acme.example\r\nSubject: Re: x\r\n\r\nStill down.\r\n\r\nOn Tue, 17 Nov 2026 at 10:00, Support <s@v.example> wrote:\r\n> Restart it.\r\n',
    );
    const mail = await parseMessage(raw);
    expect(mail.text).toContain('> Restart it.');
    expect(mail.newText).toBe('Still down.');
  });

  it('gives the whole text of a forward as its new text: the forwarded mail is what the sender sends', async () => {
    const raw = Buffer.from(
      'From: other@reseller.example\r\nSubject: Fwd: backup log [SR-2026-000006]\r\n\r\nHere is what the customer sent us.\r\n\r\n' +
        '---------- Forwarded message ---------\r\nFrom: Foo Admin <admin@foo.example>\r\nDate: Mon, 30 Nov 2026 09:00\r\nSubject: backup\r\n\r\n' +
        'Backup fails with error 0x80 at 02:00.\r\n',
    );
    const mail = await parseMessage(raw);
    expect(mail.newText).toContain('Here is what the customer sent us.');
    expect(mail.newText).toContain('Backup fails with error 0x80 at 02:00.');
  });
});

describe('parseMessage: damaged MIME', () => {
  it('guesses a missing multipart boundary from the body and parses the parts', async () => {
    const mail = await parseMessage(fixture('malformed-no-boundary.eml'));
    expect(mail.text).toContain('How long does Kerio Connect 10.0.1 keep archived mail by default?');
    const sha256 = expect.stringMatching(/^[0-9a-f]{64}$/);
    expect(mail.attachments).toEqual([{ filename: 'settings.cfg', contentType: 'application/octet-stream', size: 10, sha256 }]);
    expect(mail.repairs).toEqual(['boundary-guessed']);
    expect(mail.headers.get('content-type')).toEqual(['multipart/mixed']);
  });

  it('reads the body as text when a multipart body has no boundary line at all', async () => {
    const raw = Buffer.from('From: it@acme.example\r\nSubject: odd\r\nContent-Type: multipart/mixed\r\n\r\nJust some words.\r\n');
    const mail = await parseMessage(raw);
    expect(mail.text).toContain('Just some words.');
    expect(mail.repairs).toEqual(['body-as-text']);
  });

  it('parses what it can around broken base64 and an unterminated multipart', async () => {
    const mail = await parseMessage(fixture('malformed-base64.eml'));
    expect(mail.text).toContain('The server shows a certificate warning since Monday.');
    expect(mail.attachments.map((attachment) => attachment.filename)).toEqual(['report.pdf']);
    expect(mail.unusable).toBeNull();
  });

  it('marks a message without sender or content as unusable', async () => {
    expect((await parseMessage(fixture('no-sender.eml'))).unusable).toBe('no-sender');
    expect((await parseMessage(Buffer.from('From: a@acme.example\r\n\r\n'))).unusable).toBe('no-content');
    const garbage = await parseMessage(Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 13, 0]));
    expect(garbage.unusable).toBe('no-sender');
    expect(garbage.messageIdSynthetic).toBe(true);
  });

  it('drops NUL characters PostgreSQL text cannot hold', async () => {
    const mail = await parseMessage(Buffer.from('From: a@acme.example\r\nSubject: a\u0000b\r\n\r\nx\u0000y\r\n'));
    expect(mail.subject).toBe('ab');
    expect(mail.text).toContain('xy');
  });
});

describe('parseMessage: delivery reports', () => {
  const ackId = '<deskbot.11111111-2222-4333-8444-555555555555@deskbot.local>';

  it('reads the returned Message-ID, recipient, action and status of a DSN', async () => {
    const mail = await parseMessage(fixture('bounce-dsn.eml', { ACK_MESSAGE_ID: ackId }));
    expect(mail.deliveryReport).toEqual({ originalMessageIds: [ackId], recipients: ['ops@acme.example'], action: 'failed', status: '5.2.2' });
    expect(mail.text).not.toContain('Reporting-MTA');
  });

  it('treats a plain-text MAILER-DAEMON bounce quoting the original as a report', async () => {
    const raw = Buffer.from(
      `From: MAILER-DAEMON@mx.example\r\nSubject: failure notice\r\nMessage-ID: <b1@mx.example>\r\n\r\nSorry.\r\n\r\n--- Below this line is a copy of the message.\r\n\r\nMessage-ID: ${ackId}\r\nSubject: x\r\n`,
    );
    const mail = await parseMessage(raw);
    expect(mail.deliveryReport?.originalMessageIds).toEqual([ackId]);
  });

  it('is null for ordinary mail', async () => {
    expect((await parseMessage(fixture('new-request-complete.eml'))).deliveryReport).toBeNull();
  });
});

describe('parseHeaders (over-cap messages)', () => {
  it('reads sender, subject and Message-ID from a header block alone', async () => {
    const raw = fixture('new-request-complete.eml');
    const mail = await parseHeaders(headerBlockOf(raw));
    expect(mail.messageId).toBe('<new-complete-1@acme.example>');
    expect(mail.from?.address).toBe('ops@acme.example');
    expect(mail.subject).toBe('Kerio Connect 10.0.1 crashes on startup - Severity: 4');
    expect(mail.text).toBe('');
    expect(mail.unusable).toBeNull();
  });

  it('derives a stable synthetic Message-ID from the header bytes', async () => {
    const block = Buffer.from('From: ops@acme.example\r\nSubject: huge\r\n\r\n');
    const first = await parseHeaders(block);
    expect(first.messageIdSynthetic).toBe(true);
    expect((await parseHeaders(Buffer.from(block))).messageId).toBe(first.messageId);
  });
});
