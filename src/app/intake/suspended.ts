// A suspended customer's caller wrote (Kerio ToS 2.4.3 and 9: service may be refused or suspended, e.g. for
// non-payment): no ticket; the caller gets the templated notice (at most one per 24 h), the triage channel is told.
import type { ParsedMail } from '../parsed-mail.ts';
import type { Customer, CustomerSuspension } from '../../domain/directory.ts';
import { autoMail } from './auto-mail.ts';
import { commit, type Ending, type IntakeContext, type Origin, record } from './context.ts';

/** Records the mail as rejected (`customer-suspended`), answers it and tells the triage channel, in one commit. */
export async function suspended(ctx: IntakeContext, mail: ParsedMail, origin: Origin, customer: Customer, suspension: CustomerSuspension): Promise<Ending> {
  const { config, clock, log } = ctx;
  const reason = 'customer-suspended';
  return commit(ctx, mail, origin, async (tx, state) => {
    const now = clock.now();
    await record(ctx, tx, mail, origin, { outcome: 'rejected', reason, ticketId: null });
    const caller = customer.eligibleCallers.find((candidate) => candidate.email.toLowerCase() === mail.from!.address.toLowerCase());
    const notice = await autoMail(ctx, tx, state, mail, {
      template: 'service-suspended',
      locale: customer.locale,
      data: {
        recipientName: caller?.name ?? null,
        supportName: config.SUPPORT_NAME,
        supportAddress: config.SUPPORT_ADDRESS,
        subject: mail.subject,
        customerName: customer.name,
        salesContact: config.SALES_CONTACT ?? config.SUPPORT_ADDRESS,
      },
      to: { address: mail.from!.address, name: caller?.name ?? null },
      idempotencyKey: `service-suspended:${mail.messageId}`,
      oncePerNoticeInterval: true,
    });
    if (!notice.sent) {
      log.info({ event: 'notice-suppressed', messageId: mail.messageId, reason: notice.reason }, 'suspension notice not sent');
      await tx.inbound.setReason(mail.messageId, `${reason}; no notice: ${notice.reason}`);
    }
    await tx.outbox.enqueue(
      {
        idempotencyKey: `slack:customer-suspended:${mail.messageId}`,
        channel: 'slack',
        kind: 'customer-suspended',
        payload: {
          customer: customer.name,
          customerKey: customer.key,
          since: suspension.since,
          reason: suspension.reason,
          from: mail.from!.address,
          subject: mail.subject,
          messageId: mail.messageId,
        },
      },
      now,
    );
    state.queued += 1;
    return { outcome: 'rejected', reason };
  });
}
