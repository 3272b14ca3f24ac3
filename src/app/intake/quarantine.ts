// A message that cannot be handled (unparseable, no sender): kept whole in quarantine for `deskbot quarantine retry`.
import type { ParsedMail } from '../parsed-mail.ts';
import { commit, type Ending, type IntakeContext, type Origin, quarantineRetryOf, record } from './context.ts';

export async function quarantine(ctx: IntakeContext, mail: ParsedMail, raw: Buffer, origin: Origin, reason: string): Promise<Ending> {
  const { clock } = ctx;
  return commit(ctx, mail, origin, async (tx) => {
    await record(ctx, tx, mail, origin, { outcome: 'quarantined', reason, ticketId: null });
    if (!quarantineRetryOf(origin))
      await tx.inbound.quarantine({ messageId: mail.messageId, reason, rawSize: raw.length, raw, rawPath: null, receivedAt: clock.now() });
    return { outcome: 'quarantined', reason };
  });
}
