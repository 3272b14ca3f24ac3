// Builds RFC 822 messages with text, HTML and base64 attachments for the conversation tests (real MIME, parsed by the
// same mailparser as production). Leaves out every header intake does not read.

export interface MimeAttachment {
  filename: string;
  contentType?: string;
  content: Buffer;
}

export interface MimeMail {
  messageId: string;
  from?: string;
  /** The To header; Support <support@deskbot.local> when not given. */
  to?: string;
  cc?: string;
  subject: string;
  text?: string;
  html?: string;
  inReplyTo?: string;
  attachments?: MimeAttachment[];
}

function base64Lines(content: Buffer): Buffer {
  const encoded = content.toString('base64');
  const lines: string[] = [];
  for (let offset = 0; offset < encoded.length; offset += 76) lines.push(encoded.slice(offset, offset + 76));
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1');
}

export function buildMail(mail: MimeMail): Buffer {
  const boundary = 'deskbot-test-boundary-7f3a';
  const header = [
    `From: ${mail.from ?? 'Ana Ops <ops@acme.example>'}`,
    `To: ${mail.to ?? 'Support <support@deskbot.local>'}`,
    ...(mail.cc ? [`Cc: ${mail.cc}`] : []),
    `Subject: ${mail.subject}`,
    'Date: Tue, 17 Nov 2026 09:58:00 -0500',
    `Message-ID: ${mail.messageId}`,
    ...(mail.inReplyTo ? [`In-Reply-To: ${mail.inReplyTo}`, `References: ${mail.inReplyTo}`] : []),
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    '',
  ].join('\r\n');
  const parts: Buffer[] = [Buffer.from(header, 'utf8')];
  if (mail.text !== undefined) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n`, 'latin1'));
    parts.push(base64Lines(Buffer.from(mail.text, 'utf8')));
  }
  if (mail.html !== undefined) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n`, 'latin1'));
    parts.push(base64Lines(Buffer.from(mail.html, 'utf8')));
  }
  for (const attachment of mail.attachments ?? []) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Type: ${attachment.contentType ?? 'application/octet-stream'}; name="${attachment.filename}"\r\n` +
          `Content-Disposition: attachment; filename="${attachment.filename}"\r\nContent-Transfer-Encoding: base64\r\n\r\n`,
        'utf8',
      ),
    );
    parts.push(base64Lines(attachment.content));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return Buffer.concat(parts);
}
