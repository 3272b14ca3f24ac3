// The needs-info reminder: an incomplete request still missing information gets ONE mail listing what is still
// missing, policy.reminders.needsInfoAfterBusinessDays business days of the customer's calendar after it arrived (the
// date is stored with the ticket), and the triage thread is told. Run by the SLA sweeper at each tick. Once per ticket
// even with several processes: rows are claimed SKIP LOCKED and the date cleared in the transaction that queues the
// mail, whose outbox key (`needs-info:<request ID>`) is unique besides.
import type { UseCaseDeps } from '../app/deps.ts';
import { record } from '../app/engineer/common.ts';
import { notify, requestThreading, requesterRecipient } from '../app/notify.ts';
import type { Repositories } from '../app/ports.ts';
import type { DueNeedsInfoReminder } from '../app/read-models.ts';
import { requiredInfoItems, type RequiredInfoItem } from '../domain/policy.ts';

type Tx = Repositories;

/** `batchSize`: tickets claimed per transaction (default 100). */
export type NeedsInfoRemindersOptions = UseCaseDeps<'transactor' | 'repositories' | 'logger' | 'renderer', 'SUPPORT_ADDRESS' | 'SUPPORT_NAME'> & {
  batchSize?: number;
};

export interface NeedsInfoReminders {
  /** Sends every reminder due at `now`; resolves with how many went. */
  sendDue(now: Date): Promise<number>;
  /** The earliest reminder date still pending. */
  nextAt(): Promise<Date | null>;
}

/**
 * Why a due reminder is not sent, or null when it goes. A customer's answer alone is no reason: one that left
 * something missing (a partial answer, or one that supplied nothing) is reminded of what is still missing.
 */
export function reminderSkipReason(ticket: Pick<DueNeedsInfoReminder, 'status' | 'clockStartedAt' | 'missingInfo'>): string | null {
  if (ticket.status === 'closed') return 'closed';
  if (ticket.clockStartedAt !== null || ticket.missingInfo.length === 0) return 'complete';
  return null;
}

export function createNeedsInfoReminders(options: NeedsInfoRemindersOptions): NeedsInfoReminders {
  const { config } = options;
  const batchSize = options.batchSize ?? 100;
  const log = options.logger.child({ component: 'needs-info-reminders' });
  const sender = { renderer: options.renderer, supportAddress: config.SUPPORT_ADDRESS };

  async function remind(tx: Tx, ticket: DueNeedsInfoReminder, now: Date): Promise<void> {
    const threading = await requestThreading(tx.threads, ticket);
    const missing = ticket.missingInfo.filter((item): item is RequiredInfoItem => (requiredInfoItems as readonly string[]).includes(item));
    const mail = await notify(sender, tx.outbox.writer(now), {
      template: 'needs-info',
      locale: ticket.locale,
      data: {
        recipientName: ticket.requesterName,
        supportName: config.SUPPORT_NAME,
        supportAddress: config.SUPPORT_ADDRESS,
        requestId: ticket.requestId,
        subject: ticket.subject,
        missing,
        products: ticket.products,
      },
      to: requesterRecipient(ticket),
      ...threading,
      autoSubmitted: 'auto-generated',
      requestId: ticket.requestId,
      headers: { 'X-Deskbot-Request-Id': ticket.requestId },
      idempotencyKey: `needs-info:${ticket.requestId}`,
      ticketId: ticket.id,
    });
    await tx.threads.add({ messageId: mail.messageId, ticketId: ticket.id, direction: 'out', at: now });
    await record(tx, ticket, { type: 'needs-info-reminder', at: now, actor: 'deskbot', detail: { messageId: mail.messageId, missingInfo: missing } }, now);
  }

  /** One claimed batch in one transaction; returns how many tickets it claimed and how many reminders went. */
  async function batch(now: Date): Promise<{ claimed: number; sent: number }> {
    return options.transactor.run(
      async (tx) => {
        const due = await tx.reminders.claimDue(now, batchSize);
        let sent = 0;
        for (const ticket of due) {
          const skip = reminderSkipReason(ticket);
          if (skip === null) {
            await remind(tx, ticket, now);
            sent += 1;
            log.info({ event: 'needs-info-reminder', ticketId: ticket.id, requestId: ticket.requestId }, 'needs-info reminder queued');
          } else {
            log.debug(
              { event: 'needs-info-reminder-skipped', ticketId: ticket.id, requestId: ticket.requestId, reason: skip },
              'needs-info reminder not needed',
            );
          }
          await tx.reminders.clear(ticket.id);
        }
        return { claimed: due.length, sent };
      },
      { maxWaitMs: 10_000, timeoutMs: 60_000 },
    );
  }

  return {
    async sendDue(now) {
      let sent = 0;
      // Until a claim comes back empty (rows another sweeper held may be free now); bounded like the SLA sweep.
      for (let round = 0; round < 1_000; round += 1) {
        const result = await batch(now);
        sent += result.sent;
        if (result.claimed === 0) break;
      }
      return sent;
    },
    nextAt: () => options.repositories.reminders.nextAt(),
  };
}
