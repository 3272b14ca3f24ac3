// The IMAP resume point per mailbox: (UIDVALIDITY, last committed UID) in the MailboxState table.
// It stores positions only; deciding what is committed is the IMAP source's job (src/channels/email/imap-source.ts).
import { DeskbotError } from '../errors.ts';
import type { PrismaClient } from './database.ts';

/** Where intake resumes in one mailbox: every UID up to `lastUid` under `uidValidity` is committed. */
export interface MailboxPosition {
  mailbox: string;
  uidValidity: bigint;
  lastUid: bigint;
  /** When the position was last saved (read back only): how recently deskbot worked through the mailbox. */
  savedAt?: Date;
}

export interface MailboxStateRepository {
  /** The stored position, or undefined before the mailbox was ever read. */
  get(mailbox: string): Promise<MailboxPosition | undefined>;
  /** Creates or replaces the position. */
  save(position: MailboxPosition): Promise<void>;
}

function unavailable(operation: string, mailbox: string, error: unknown): DeskbotError {
  return new DeskbotError('DB_UNAVAILABLE', `Cannot ${operation} the IMAP resume point of ${mailbox}: ${(error as Error)?.message ?? String(error)}`, {
    cause: error,
    retryable: true,
    details: { mailbox },
  });
}

export function createMailboxStateRepository(prisma: PrismaClient): MailboxStateRepository {
  return {
    async get(mailbox) {
      try {
        const row = await prisma.mailboxState.findUnique({ where: { mailbox } });
        return row ? { mailbox: row.mailbox, uidValidity: row.uidValidity, lastUid: row.lastUid, savedAt: row.updatedAt } : undefined;
      } catch (error) {
        throw unavailable('read', mailbox, error);
      }
    },
    async save({ mailbox, uidValidity, lastUid }) {
      try {
        await prisma.mailboxState.upsert({
          where: { mailbox },
          create: { mailbox, uidValidity, lastUid },
          update: { uidValidity, lastUid },
        });
      } catch (error) {
        throw unavailable('save', mailbox, error);
      }
    },
  };
}
