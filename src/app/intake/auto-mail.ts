// Automatic answers (acknowledgements, notices): the RFC 3834 loop rules, X-Auto-Response-Suppress and the per-address
// throttle decide whether one goes; the rendered mail is composed here and written with its throttle-log entry.
import { noticesWithheldForOldMail } from '../../domain/mail/message-age.ts';
import { answerSuppressedReason, autoMailWindowMs, notEligibleNoticeDue, notEligibleNoticeIntervalMs, throttleAutoMail } from '../../domain/mail/loop-rules.ts';
import type { MailAddress, ParsedMail } from '../parsed-mail.ts';
import type { TemplateDataMap, TemplateName } from '../mail-templates.ts';
import { composeMail } from '../notify.ts';
import type { AutoMailRecord } from '../records.ts';
import type { IntakeContext, Tx } from './context.ts';

/** One automatic answer as autoMail is asked for it. */
export type AutoMailRequest<N extends TemplateName> = {
  template: N;
  locale: string;
  data: TemplateDataMap[N];
  to: MailAddress;
  idempotencyKey: string;
  requestId?: string;
  ticketId?: number;
  oncePerNoticeInterval?: boolean;
  /** The caller holds the address's throttle lock already (see AutoMailLog.lockAddress) in this transaction. */
  addressLocked?: boolean;
  /** Set (to its receive time) when the message answered is older than AUTO_NOTICE_MAX_AGE: notices are withheld. */
  lateReceivedAt?: Date | undefined;
  /**
   * With `addressLocked`: when automatic mail went to the address within autoMailWindowMs, read after the lock in this
   * transaction (TicketRepository.reserveRequest), so the throttle is not read again.
   */
  sentInWindow?: Date[] | undefined;
};

/**
 * Decides and renders one automatic answer to `to` without writing it: none when the sender asked for none
 * (X-Auto-Response-Suppress), the throttle is full, or (with `oncePerNoticeInterval`) one of the same kind went
 * within notEligibleNoticeIntervalMs (24 h). Always to the From address. The throttle lock is held from here to the
 * commit, so the caller's write of `record` cannot race another answer to the same address.
 */
export async function prepareAutoMail<N extends TemplateName>(
  ctx: IntakeContext,
  tx: Tx,
  state: { queued: number },
  mail: ParsedMail,
  request: AutoMailRequest<N>,
): Promise<{ sent: true; messageId: string; record: AutoMailRecord } | { sent: false; reason: string }> {
  const { clock, log, mailSender } = ctx;
  const now = clock.now();
  const suppressed = answerSuppressedReason(mail.headers);
  if (suppressed) return { sent: false, reason: suppressed };
  if (request.lateReceivedAt && (noticesWithheldForOldMail as readonly string[]).includes(request.template)) {
    return { sent: false, reason: `message older than AUTO_NOTICE_MAX_AGE (received ${request.lateReceivedAt.toISOString()})` };
  }
  const address = request.to.address;
  if (!request.addressLocked) await tx.autoMail.lockAddress(address);
  if (request.oncePerNoticeInterval) {
    const last = await tx.autoMail.sentSince(address, new Date(now.getTime() - notEligibleNoticeIntervalMs), request.template);
    if (!notEligibleNoticeDue(last[0] ?? null, now)) return { sent: false, reason: `${request.template} already sent to this address within 24 h` };
  }
  const recent =
    request.addressLocked && request.sentInWindow ? request.sentInWindow : await tx.autoMail.sentSince(address, new Date(now.getTime() - autoMailWindowMs));
  const verdict = throttleAutoMail(recent, now);
  if (!verdict.allowed) {
    log.warn(
      {
        event: 'auto-mail-throttled',
        to: address,
        template: request.template,
        sent: verdict.sent,
        windowMs: verdict.limit.windowMs,
        messageId: mail.messageId,
        requestId: request.requestId,
      },
      'automatic answer suppressed by the throttle',
    );
    return { sent: false, reason: `throttled: ${verdict.sent} automatic mails to this address within ${verdict.limit.windowMs / 60_000} min` };
  }
  // RFC 5322 3.6.4: the parent's References, or else its In-Reply-To when that names one message, then its Message-ID.
  const parentThread = mail.references.length ? mail.references : mail.inReplyTo.length === 1 ? mail.inReplyTo : [];
  const threadIds = mail.messageIdSynthetic ? parentThread : [...parentThread.filter((id) => id !== mail.messageId), mail.messageId];
  const payload = composeMail(mailSender, {
    template: request.template,
    locale: request.locale,
    data: request.data,
    to: [request.to.name ? { address, name: request.to.name } : { address }],
    ...(mail.messageIdSynthetic ? {} : { inReplyTo: mail.messageId }),
    references: threadIds.slice(-20),
    autoSubmitted: 'auto-replied',
    requestId: request.requestId,
  });
  const messageId = payload.messageId;
  state.queued += 1;
  return {
    sent: true,
    messageId,
    record: {
      outbox: { idempotencyKey: request.idempotencyKey, kind: request.template, payload, ticketId: request.ticketId ?? null },
      address,
      kind: request.template,
      messageId,
      at: now,
    },
  };
}

/** prepareAutoMail, then its outbox row, throttle log entry and Message-ID written in one statement (AutoMailLog.record). */
export async function autoMail<N extends TemplateName>(
  ctx: IntakeContext,
  tx: Tx,
  state: { queued: number },
  mail: ParsedMail,
  request: AutoMailRequest<N>,
): Promise<{ sent: true; messageId: string } | { sent: false; reason: string }> {
  const prepared = await prepareAutoMail(ctx, tx, state, mail, request);
  if (!prepared.sent) return prepared;
  await tx.autoMail.record(prepared.record);
  return { sent: true, messageId: prepared.messageId };
}
