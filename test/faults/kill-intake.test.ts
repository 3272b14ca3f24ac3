// Crash safety of the intake: deskbot processes on PostgreSQL are killed with SIGKILL at random points while
// 200 requests arrive over IMAP (real Dovecot) and acknowledgements go out over SMTP (real server on loopback).
// Afterwards every message has exactly one ticket, no acknowledgement is lost, and acknowledgements sent twice
// are only those of the crash window between the SMTP server's accept and the commit (counted and reported).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dovecotAvailable } from '../helpers/dovecot.ts';
import { startIntakeProcessRig, requestMail, type CallerBook, type IntakeProcessRig } from '../helpers/intake-process-rig.ts';
import { postgresAvailable } from '../helpers/postgres.ts';

const messages = 200;
const kills = 20;
const available = dovecotAvailable() && (await postgresAvailable());

// 20 customers x 5 eligible callers: each address sends 2 requests, well inside the automatic-mail throttle.
const book: CallerBook = { stem: 'KILL', customers: 20, callers: 5 };
const sentAt = new Date('2026-11-30T15:00:00Z');

describe.skipIf(!available)('SIGKILL during intake (PostgreSQL, Dovecot, SMTP)', () => {
  let rig: IntakeProcessRig;

  beforeAll(async () => {
    rig = await startIntakeProcessRig(book);
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it(`keeps every one of ${messages} requests and its acknowledgement across ${kills} SIGKILLs`, { timeout: 600_000 }, async () => {
    const perRound = messages / kills;
    let appended = 0;
    for (let round = 0; round < kills; round += 1) {
      for (let n = 0; n < perRound; n += 1) await rig.dovecot.append(requestMail(book, appended++, sentAt));
      const deskbot = await rig.startServe();
      await Promise.race([deskbot.listening, deskbot.exited]);
      // Kill at a random point of the intake: 0-1500 ms after start-up completed.
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 1500)));
      deskbot.child.kill('SIGKILL');
      await deskbot.exited;
    }
    // A last, undisturbed process finishes the work, then stops gracefully.
    const client = new pg.Client({ connectionString: rig.database.url });
    await client.connect();
    const final = await rig.startServe();
    await final.listening;
    const deadline = Date.now() + 120_000;
    let state = await rig.counts(client);
    while ((state.inbound < messages || state.pendingMail > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      state = await rig.counts(client);
    }
    final.child.kill('SIGTERM');
    expect(await final.exited).toBe(0);

    // Exactly one InboundMessage and one ticket per request.
    const perMessage = await client.query<{ messageId: string; n: string }>(`SELECT "messageId", count(*) AS n FROM "InboundMessage" GROUP BY "messageId"`);
    expect(perMessage.rows).toHaveLength(messages);
    expect(perMessage.rows.every((row) => row.n === '1')).toBe(true);
    const tickets = await client.query<{ requestId: string }>('SELECT "requestId" FROM "Ticket"');
    expect(tickets.rows).toHaveLength(messages);
    expect(new Set(tickets.rows.map((row) => row.requestId)).size).toBe(messages);
    const outcomes = await client.query<{ outcome: string; n: string }>('SELECT outcome, count(*) AS n FROM "InboundMessage" GROUP BY outcome');
    expect(outcomes.rows).toEqual([{ outcome: 'ticket', n: String(messages) }]);
    await client.end();

    // Every acknowledgement reached the SMTP server; count the ones that arrived twice.
    const acknowledged = await rig.acknowledgements();
    const missing = tickets.rows.filter((row) => !acknowledged.has(row.requestId)).map((row) => row.requestId);
    expect(missing).toEqual([]);
    const duplicates = [...acknowledged.values()].reduce((sum, n) => sum + n - 1, 0);
    console.info(`kill -9 x${kills} over ${messages} requests: ${duplicates} acknowledgement(s) sent twice (crash window between SMTP accept and commit)`);
    // A duplicate needs a kill inside the accept-to-commit window: at most one per kill.
    expect(duplicates).toBeLessThanOrEqual(kills);

    // Every message was marked processed in the mailbox.
    const flags = await rig.dovecot.flags();
    expect([...flags.values()].filter((set) => set.has('$DeskbotProcessed')).length).toBe(messages);
  });
});
