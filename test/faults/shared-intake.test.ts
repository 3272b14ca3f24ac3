// Intake work on every process: three `deskbot serve` processes on one PostgreSQL database and one real Dovecot
// mailbox. One holds IMAP and only stores; all three handle the stored mail. Afterwards more than one process has
// handled messages (deskbot_inbound_handled_total), every request has exactly one ticket and one acknowledgement,
// every follow-up joined its request's ticket, every message is flagged and the stored-mail queue is empty.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dovecotAvailable } from '../helpers/dovecot.ts';
import {
  callerAddress,
  requestMail,
  requestMessageId,
  startIntakeProcessRig,
  type CallerBook,
  type IntakeProcessRig,
  type ServeProcess,
} from '../helpers/intake-process-rig.ts';
import { postgresAvailable } from '../helpers/postgres.ts';

const requests = 90;
const followUps = 10;
const processes = 3;
const available = dovecotAvailable() && (await postgresAvailable());
const book: CallerBook = { stem: 'SHARED', customers: 30, callers: 3 };
const requestId = (index: number) => requestMessageId(book, index);

/** A quick follow-up to request `index`, appended right after it: it must wait for the request's ticket. */
function followUp(index: number): string {
  return [
    `From: ${callerAddress(book, index)}`,
    'To: support@deskbot.local',
    `Subject: Re: Kerio Connect 10.0.1 outage number ${index}`,
    `Message-ID: <shared.${index}.followup@customer.example>`,
    `In-Reply-To: ${requestId(index)}`,
    `References: ${requestId(index)}`,
    `Date: ${new Date().toUTCString()}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    `One more detail about mail queue ${index}.`,
    '',
  ].join('\r\n');
}

describe.skipIf(!available)('intake work shared by three serve processes (PostgreSQL, Dovecot, SMTP)', () => {
  let rig: IntakeProcessRig;
  const serves: ServeProcess[] = [];

  beforeAll(async () => {
    rig = await startIntakeProcessRig(book);
  });
  afterAll(async () => {
    await rig?.stop();
  });

  async function handledBy(port: number): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith('deskbot_inbound_handled_total{'))
      .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
  }

  it(`handles ${requests} requests and ${followUps} follow-ups on more than one process, one acknowledgement each`, { timeout: 300_000 }, async () => {
    // One after another, as an operator would start them (each imports DIRECTORY_FILE at start).
    for (let index = 0; index < processes; index += 1) {
      const serve = await rig.startServe();
      serves.push(serve);
      const started = await Promise.race([serve.listening.then(() => 'listening'), serve.exited.then((code) => `exited with ${code}`)]);
      expect(started, serve.output().slice(-3_000)).toBe('listening');
    }
    const client = new pg.Client({ connectionString: rig.database.url });
    await client.connect();
    try {
      // The first process takes the IMAP lock; wait for it to be connected before the burst.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      for (let index = 0; index < requests; index += 1) {
        await rig.dovecot.append(requestMail(book, index));
        if (index < followUps) await rig.dovecot.append(followUp(index));
      }
      const total = requests + followUps;
      const deadline = Date.now() + 120_000;
      const state = () => rig.counts(client);
      let now = await state();
      let reportAt = Date.now() + 10_000;
      while ((now.inbound < total || now.pendingMail > 0 || rig.smtp.messages.length < requests) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        now = await state();
        if (Date.now() > reportAt) {
          reportAt = Date.now() + 10_000;
          console.info(`waiting: ${JSON.stringify(now)}, ${rig.smtp.messages.length} acknowledgements`);
        }
      }

      if (now.inbound < total) for (const serve of serves) console.info(serve.output().slice(-3_000));
      // More than one process did intake work, and together they handled every message once.
      const handled = await Promise.all(serves.map((serve) => handledBy(serve.port)));
      console.info(`messages handled per process: ${handled.join(', ')}`);
      expect(handled.filter((count) => count > 0).length).toBeGreaterThan(1);
      expect(handled.reduce((sum, count) => sum + count, 0)).toBe(total);

      // Exactly one outcome per Message-ID: a ticket per request, each follow-up a reply on its request's ticket.
      const outcomes = await client.query<{ messageId: string; outcome: string; ticketId: number | null }>(
        'SELECT "messageId", outcome, "ticketId" FROM "InboundMessage"',
      );
      expect(outcomes.rows).toHaveLength(total);
      const byId = new Map(outcomes.rows.map((row) => [row.messageId, row]));
      for (let index = 0; index < requests; index += 1) expect(byId.get(requestId(index))?.outcome).toBe('ticket');
      for (let index = 0; index < followUps; index += 1) {
        const reply = byId.get(`<shared.${index}.followup@customer.example>`);
        expect(reply?.outcome, `follow-up ${index}`).toBe('reply');
        expect(reply?.ticketId).toBe(byId.get(requestId(index))?.ticketId);
      }
      const tickets = await client.query<{ requestId: string }>('SELECT "requestId" FROM "Ticket"');
      expect(tickets.rows).toHaveLength(requests);

      // One acknowledgement per request, none twice.
      const acknowledged = await rig.acknowledgements();
      expect(tickets.rows.filter((row) => acknowledged.get(row.requestId) !== 1)).toEqual([]);

      // Every message flagged, the queue empty.
      const flags = await rig.dovecot.flags();
      expect([...flags.values()].filter((set) => set.has('$DeskbotProcessed')).length).toBe(total);
      const queued = await client.query<{ n: string }>('SELECT count(*) AS n FROM "InboundQueue"');
      expect(Number(queued.rows[0]!.n)).toBe(0);
    } finally {
      await client.end();
      for (const serve of serves) serve.child.kill('SIGTERM');
      const killer = setTimeout(() => {
        for (const serve of serves) serve.child.kill('SIGKILL');
      }, 30_000);
      const codes = await Promise.all(serves.map((serve) => serve.exited));
      clearTimeout(killer);
      serves.length = 0;
      expect(codes).toEqual([0, 0, 0]);
    }
  });
});
