// Not eligible: no ticket; at most one not-eligible notice per address per 24 h, none to an unauthenticated sender.
import type { ParsedMail } from '../parsed-mail.ts';
import type { NotEligibleReason as NoticeReason } from '../mail-templates.ts';
import { coverageEndedOn, type NotEligibleReason } from '../../domain/eligibility.ts';
import type { Customer, EligibleCaller, Licence } from '../../domain/directory.ts';
import { commit, type Ending, type IntakeContext, lateReceivedAt, type Origin, record } from './context.ts';
import { autoMail } from './auto-mail.ts';

/** The not-eligible template has fewer sentences than eligibility has reasons: the closest one that stays true. */
export const noticeReasonFor: Record<Exclude<NotEligibleReason, 'sender-not-authenticated'>, NoticeReason> = {
  'unknown-sender': 'unknown-sender',
  'licence-unknown': 'unknown-sender',
  'ambiguous-sender': 'unknown-sender',
  'no-licence': 'no-licence',
  'maintenance-expired': 'maintenance-expired',
  'trial-expired': 'trial-expired',
  'partner-id-missing': 'partner-id-missing',
  'partner-id-invalid': 'partner-id-missing',
  'partner-sender-mismatch': 'partner-id-not-for-sender',
};

/**
 * Not eligible: no ticket; one not-eligible notice per address per 24 h. None when the sender failed
 * authentication: the From address is then unproven, and a notice would go to whoever was impersonated. A known
 * caller refused for the customer's licences (`known`) is told, by name and in the customer's language, which licences
 * and since when, and how to renew.
 */
export async function reject(
  ctx: IntakeContext,
  mail: ParsedMail,
  origin: Origin,
  reason: NotEligibleReason,
  raw: Buffer | null = null,
  refusedRequestId: string | null = null,
  known?: { customer: Pick<Customer, 'name' | 'locale'>; caller: Pick<EligibleCaller, 'name'>; licences: readonly Licence[] },
): Promise<Ending> {
  const { policy, config, log } = ctx;
  return commit(ctx, mail, origin, async (tx, state) => {
    await record(ctx, tx, mail, origin, { outcome: 'rejected', reason, ticketId: null });
    // Kept whole so `deskbot inbound retry` can run it again once the directory changed (MAIL_MAX_BYTES bounds it).
    if (raw) await tx.inbound.keepRaw(mail.messageId, raw);
    if (reason === 'sender-not-authenticated') return { outcome: 'rejected', reason };
    const notice = await autoMail(ctx, tx, state, mail, {
      template: 'not-eligible',
      // A known caller of a known customer hears it in the customer's language, by name; a stranger in LOCALE.
      locale: known?.customer.locale ?? config.LOCALE,
      data: {
        subject: mail.subject,
        reason: noticeReasonFor[reason],
        minEligibleCallers: policy.eligibility.minEligibleCallers,
        maxEligibleCallers: policy.eligibility.maxEligibleCallers,
        salesContact: config.SALES_CONTACT ?? config.SUPPORT_ADDRESS,
        supportName: config.SUPPORT_NAME,
        supportAddress: config.SUPPORT_ADDRESS,
        recipientName: known?.caller.name ?? null,
        customerName: known?.customer.name ?? null,
        requestId: refusedRequestId,
        // A known caller hears which licences refused and since when, and how to renew; a stranger the generic list.
        known: known
          ? {
              licences: known.licences.map((licence) => ({
                number: licence.number,
                product: licence.product,
                type: licence.type,
                endedOn: coverageEndedOn(licence, policy),
              })),
            }
          : null,
      },
      to: { address: mail.from!.address, name: known?.caller.name ?? null },
      idempotencyKey: `not-eligible:${mail.messageId}`,
      oncePerNoticeInterval: true,
      lateReceivedAt: lateReceivedAt(ctx, mail, origin),
    });
    if (!notice.sent) {
      log.info({ event: 'notice-suppressed', messageId: mail.messageId, reason: notice.reason }, 'not-eligible notice not sent');
      await tx.inbound.setReason(mail.messageId, `${reason}; no notice: ${notice.reason}`);
    }
    return { outcome: 'rejected', reason };
  });
}
