// The floor of the intake benchmark: the least that can answer a request on the same rig, so that deskbot's figures
// read against what the machine, Dovecot and the SMTP capture cost by themselves. One IMAP IDLE connection
// (imapflow) to the rig's Dovecot, FETCH of the new UIDs, mailparser, one acknowledgement per message over a pooled
// nodemailer transport to the rig's SMTP capture; no database, no flags, no outbox.
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import type { Dovecot } from '../test/helpers/dovecot.ts';

export interface Floor {
  /** Messages answered so far. */
  readonly answered: number;
  /** Errors met while answering (a parse or send failure); the acknowledgement is then missing. */
  readonly errors: string[];
  /** Logs out, closes the transport and deletes (EXPUNGEs) every message it saw, so that deskbot starts on an empty INBOX. */
  stop(): Promise<void>;
}

/** Connects, opens INBOX and answers every message that arrives after this point until `stop()`. */
export async function startFloor(dovecot: Dovecot, smtpUrl: string): Promise<Floor> {
  const auth = { user: dovecot.user, pass: dovecot.password };
  const client = new ImapFlow({ host: dovecot.host, port: dovecot.port, secure: false, auth, logger: false, disableAutoIdle: true });
  client.on('error', () => undefined);
  // The same pool settings as deskbot's SMTP sender (src/channels/email/smtp-sender.ts).
  const transport = nodemailer.createTransport({ url: smtpUrl, pool: true, maxConnections: 10, disableFileAccess: true, disableUrlAccess: true });
  await client.connect();
  const mailbox = await client.mailboxOpen('INBOX');
  let lastUid = Math.max(0, mailbox.uidNext - 1);
  const errors: string[] = [];
  const answering = new Set<Promise<void>>();
  let answered = 0;

  const answer = async (source: Buffer) => {
    const parsed = await simpleParser(source);
    const to = parsed.from?.value[0]?.address;
    if (!to || !parsed.messageId) throw new Error('request without From or Message-ID');
    await transport.sendMail({
      from: 'Support <support@deskbot.local>',
      to,
      subject: `Re: ${parsed.subject ?? ''}`,
      inReplyTo: parsed.messageId,
      references: parsed.messageId,
      text: `We received your request "${parsed.subject ?? ''}" and will answer soon.\n`,
    });
    answered += 1;
  };

  let stopping = false;
  const idle = () => {
    if (!stopping) client.idle().catch(() => undefined);
  };

  // One FETCH of every UID above the last one seen per round; an EXISTS during a round asks for another round.
  let draining = false;
  let again = false;
  const drain = async () => {
    if (draining) {
      again = true;
      return;
    }
    draining = true;
    try {
      do {
        again = false;
        const fetched = await client.fetchAll(`${lastUid + 1}:*`, { uid: true, source: true }, { uid: true });
        for (const message of fetched) {
          // `n:*` always names the last message, even when its UID is below n.
          if (message.uid <= lastUid || !message.source) continue;
          lastUid = message.uid;
          const work = answer(message.source).catch((error: Error) => void errors.push(error.message));
          answering.add(work);
          void work.finally(() => answering.delete(work));
        }
      } while (again);
      // IDLE again at once, as deskbot does (imapflow's own auto-IDLE starts only after 15 s without a command).
      idle();
    } catch (error) {
      errors.push((error as Error).message);
    } finally {
      draining = false;
    }
  };
  client.on('exists', (event: { count: number; prevCount: number }) => {
    if (event.count > event.prevCount) void drain();
  });
  idle();

  return {
    get answered() {
      return answered;
    },
    errors,
    async stop() {
      stopping = true;
      while (draining || answering.size) await Promise.all([...answering, new Promise((resolve) => setTimeout(resolve, 10))]);
      if (client.mailbox && client.mailbox.exists > 0) await client.messageDelete('1:*');
      await client.logout().catch(() => client.close());
      transport.close();
    },
  };
}
