// A caller listed for more than one customer wrote without a licence number (issue 12 point 7): no ticket yet; the
// caller is asked for the licence number as missing information. The reply names it, and eligibility then picks the
// customer that owns it (domain/eligibility.ts, rule 3), so the request opens for the right account. What this mail
// said is held (held-request.ts): the reply opens the request with its details, text and attachments, nothing is asked twice.
import type { RequestDetails } from '../../domain/request-details.ts';
import type { ParsedMail } from '../parsed-mail.ts';
import { autoMail } from './auto-mail.ts';
import { commit, type Ending, type IntakeContext, type Origin, record } from './context.ts';
import { storeAttachments } from './conversation.ts';
import { holdRequest } from './held-request.ts';

export async function licenceNeeded(ctx: IntakeContext, mail: ParsedMail, origin: Origin, callerName: string | null, details: RequestDetails): Promise<Ending> {
  const { config, log } = ctx;
  const reason = 'ambiguous-sender';
  // Stored as for any first mail (before the transaction, in one of its own): the request opened from the answer
  // gets the held mail's attachments with its text.
  const attachments = await storeAttachments(ctx, mail);
  return commit(ctx, mail, origin, async (tx, state) => {
    await record(ctx, tx, mail, origin, { outcome: 'rejected', reason, ticketId: null });
    const notice = await autoMail(ctx, tx, state, mail, {
      template: 'licence-needed',
      locale: config.LOCALE,
      data: { recipientName: callerName, supportName: config.SUPPORT_NAME, supportAddress: config.SUPPORT_ADDRESS, subject: mail.subject },
      to: { address: mail.from!.address, name: callerName },
      idempotencyKey: `licence-needed:${mail.messageId}`,
    });
    await holdRequest(ctx, tx, mail, { details, callerName, noticeMessageId: notice.sent ? notice.messageId : null, attachments });
    if (!notice.sent) {
      log.info({ event: 'notice-suppressed', messageId: mail.messageId, reason: notice.reason }, 'licence-needed notice not sent');
      await tx.inbound.setReason(mail.messageId, `${reason}; no notice: ${notice.reason}`);
    }
    return { outcome: 'rejected', reason };
  });
}
