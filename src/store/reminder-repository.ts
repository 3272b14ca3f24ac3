// The rows the needs-info reminder reads and writes: incomplete tickets whose reminder date has passed, claimed so that
// several sweepers never remind twice. Deciding and sending the reminder is src/jobs/needs-info-reminders.ts.
import type { Prisma } from '../generated/prisma/client.ts';
import type { DueNeedsInfoReminder } from '../app/read-models.ts';
import type { PrismaClient } from './database.ts';

type Tx = Prisma.TransactionClient;

const claimSql = `SELECT "id" FROM "Ticket" WHERE "needsInfoRemindAt" <= $1 ORDER BY "needsInfoRemindAt" LIMIT $2 FOR NO KEY UPDATE SKIP LOCKED`;

/**
 * Claims up to `limit` tickets whose reminder date has passed, locked FOR NO KEY UPDATE SKIP LOCKED: a ticket another
 * sweeper (or an engineer's transaction) holds is passed over, never waited for; the caller clears the date in the same
 * transaction, so each reminder is decided once.
 */
export async function claimDueNeedsInfoReminders(tx: Tx, now: Date, limit: number): Promise<DueNeedsInfoReminder[]> {
  const claimed = await tx.$queryRawUnsafe<Array<{ id: number }>>(claimSql, now, limit);
  if (claimed.length === 0) return [];
  const rows = await tx.ticket.findMany({
    where: { id: { in: claimed.map((row) => Number(row.id)) } },
    orderBy: { needsInfoRemindAt: 'asc' },
    select: {
      id: true,
      requestId: true,
      subject: true,
      status: true,
      clockStartedAt: true,
      missingInfo: true,
      locale: true,
      requesterEmail: true,
      requesterName: true,
      rootMessageId: true,
      customer: { select: { licences: { select: { product: true } } } },
    },
  });
  return rows.map(({ customer, ...row }) => ({
    ...row,
    products: [...new Set((customer?.licences ?? []).map((licence) => licence.product))].sort(),
  }));
}

/** The reminder was sent or is no longer needed. */
export async function clearNeedsInfoReminder(tx: Tx, ticketId: number): Promise<void> {
  await tx.ticket.update({ where: { id: ticketId }, data: { needsInfoRemindAt: null } });
}

/** The earliest reminder date still pending, for scheduling the next sweep. */
export async function nextNeedsInfoReminderAt(db: Tx | PrismaClient): Promise<Date | null> {
  const row = await db.ticket.findFirst({
    where: { needsInfoRemindAt: { not: null } },
    orderBy: { needsInfoRemindAt: 'asc' },
    select: { needsInfoRemindAt: true },
  });
  return row?.needsInfoRemindAt ?? null;
}
