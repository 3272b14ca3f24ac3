// A message over MAIL_MAX_BYTES: quarantined unparsed (kept in a file when we hold it), with an oversized notice
// to the sender under the loop rules and the throttle.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { classifyAutomaticMail } from '../../domain/mail/loop-rules.ts';
import { headerBlockOf } from '../../domain/mail/headers.ts';
import type { ParsedMail } from '../parsed-mail.ts';
import { commit, duplicateOf, type Ending, type IntakeContext, lateReceivedAt, type Origin, quarantineRetryOf, record, retriesRecorded } from './context.ts';
import { autoMail } from './auto-mail.ts';
import { findThread } from './thread.ts';

export function fileNameOf(raw: Buffer): string {
  return `${createHash('sha256').update(raw).digest('hex')}.eml`;
}

export async function keepOversized(ctx: IntakeContext, raw: Buffer): Promise<string> {
  const { config } = ctx;
  const dir = path.join(config.dataDir, 'quarantine');
  const file = path.join(dir, fileNameOf(raw));
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(file, raw, { flag: 'w' });
  return file;
}

/**
 * An over-cap message: quarantined unparsed (reason mail-too-large; the whole message kept in a file under
 * DATA_DIR/quarantine when we hold it, only its size when the IMAP intake did not download it), with an
 * oversized-notice to the sender under the loop rules and the throttle.
 */
export async function oversized(ctx: IntakeContext, headerBytes: Buffer, size: number, origin: Origin, raw: Buffer | null): Promise<Ending> {
  const { repositories, config, clock, log, supportAddress, options } = ctx;
  const block = headerBlockOf(headerBytes);
  const mail: ParsedMail = await options.parser.parseHeaders(block).catch(() => ({
    messageId: options.parser.syntheticMessageId(block),
    messageIdSynthetic: true,
    headers: new Map(),
    from: null,
    replyTo: [],
    to: [],
    cc: [],
    subject: '',
    inReplyTo: [],
    references: [],
    text: '',
    attachments: [],
    deliveryReport: null,
    rawSize: size,
    repairs: [],
    unusable: 'unparseable' as const,
  }));
  mail.rawSize = size;
  const existing = await repositories.inbound.find(mail.messageId);
  if (existing && !retriesRecorded(origin, existing.outcome)) return duplicateOf(ctx, mail.messageId);
  const automatic = classifyAutomaticMail({
    headers: mail.headers,
    messageId: mail.messageId,
    from: mail.from?.address ?? null,
    supportAddress,
    isDeliveryReport: false,
  });
  const thread = mail.from && !automatic ? await findThread(ctx, mail, mail.from.address) : null;
  const rawPath = raw ? await keepOversized(ctx, raw) : null;
  const reason = 'mail-too-large';
  return commit(ctx, mail, origin, async (tx, state) => {
    await record(ctx, tx, mail, origin, { outcome: 'quarantined', reason, ticketId: thread?.ticket.id ?? null });
    const quarantineId =
      quarantineRetryOf(origin)?.id ??
      (await tx.inbound.quarantine({ messageId: mail.messageId, reason, rawSize: size, raw: null, rawPath, receivedAt: clock.now() }));
    if (thread) {
      await tx.events.append(thread.ticket.id, {
        type: 'mail-quarantined',
        at: clock.now(),
        actor: mail.from!.address,
        detail: { messageId: mail.messageId, reason, size, quarantineId },
      });
    }
    if (mail.from && !automatic && !mail.unusable) {
      const notice = await autoMail(ctx, tx, state, mail, {
        template: 'oversized-notice',
        locale: thread?.ticket.locale ?? config.LOCALE,
        data: {
          subject: mail.subject,
          sizeBytes: size,
          maxBytes: config.MAIL_MAX_BYTES,
          quarantineId,
          requestId: thread?.ticket.requestId ?? null,
          supportName: config.SUPPORT_NAME,
          supportAddress: config.SUPPORT_ADDRESS,
          recipientName: null,
        },
        to: { address: mail.from.address, name: null },
        idempotencyKey: `oversized-notice:${mail.messageId}`,
        lateReceivedAt: lateReceivedAt(ctx, mail, origin),
        ...(thread ? { requestId: thread.ticket.requestId, ticketId: thread.ticket.id } : {}),
      });
      if (!notice.sent) log.info({ event: 'notice-suppressed', messageId: mail.messageId, reason: notice.reason }, 'oversized notice not sent');
    }
    return { outcome: 'quarantined', reason, ...(thread ? { ticketId: thread.ticket.id, requestId: thread.ticket.requestId } : {}) };
  });
}
