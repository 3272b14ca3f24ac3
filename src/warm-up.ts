// Why: after a restart the first customer mail paid for what the process compiles on first use — its mail template
// (Handlebars), the policy's business calendars with this year's holidays (~20 ms), the mail parser, and the intake's
// statements (planned, and on the embedded database prepared, on first use: ~150 ms there) — and was answered
// ~200-450 ms later than the next one. `serve` warms what every new request uses before it takes mail in (warmIntake,
// ~0.5 s), and compiles the other templates in the background once it listens (warmUp); a mail needing one of those
// meanwhile compiles it itself.
import { randomUUID } from 'node:crypto';
import { calendarFor } from './domain/sla/business-calendar.ts';
import type { TemplateName } from './app/mail-templates.ts';
import type { NewTicketWrites } from './app/records.ts';
import type { Runtime } from './runtime.ts';

/** The templates a new request's answer uses, compiled before intake starts. */
const intakeTemplates: readonly TemplateName[] = ['acknowledgement', 'not-eligible'];

export interface IntakeWarmUpSummary {
  templates: number;
  calendars: number;
  /** Rounds of the intake's statements run (each rolled back); 0 when the database refused them (see `statementsError`). */
  statementRounds: number;
  statementsError?: string;
  ms: number;
}

export interface WarmUpSummary {
  templates: number;
  ms: number;
}

/** Thrown inside a warm-up or rehearsal transaction (jobs/intake-rehearsal.ts) so that nothing it wrote is kept. */
export class WarmUpRollback extends Error {
  constructor(what = 'warm-up') {
    super(`${what} transaction rolled back`);
    this.name = 'WarmUpRollback';
  }
}

/** A new request's writes as intake makes them, for an address and Message-IDs that cannot belong to anyone. */
function sampleTicketWrites(runtime: Pick<Runtime, 'policy'>, requestId: string, at: Date): NewTicketWrites {
  const token = randomUUID();
  const address = `warm-up.${token}@deskbot.invalid`;
  const messageId = `<warm-up.${token}@deskbot.invalid>`;
  const calendar = Object.keys(runtime.policy.calendars)[0] ?? 'default';
  return {
    ticket: {
      requestId,
      customerId: null,
      partnerId: null,
      licenceId: null,
      requesterKind: 'eligible-caller',
      requesterEmail: address,
      requesterName: null,
      subject: 'warm-up',
      summary: 'warm-up',
      severity: 3,
      status: 'new',
      product: null,
      productVersion: null,
      missingInfo: ['product'],
      calendar,
      supportLevel: 'normal',
      locale: 'en',
      openedAt: at,
      priceMinor: 0,
      priceCurrency: 'USD',
      rootMessageId: messageId,
      needsInfoRemindAt: at,
    },
    timers: [{ target: 'initial-response', cycle: 0, budgetMs: 3_600_000n, startedAt: at, warnAt: at, dueAt: at, nextEventAt: at }],
    events: [{ type: 'mail-received', at, actor: address, detail: { messageId } }],
    messageRefs: [{ messageId, direction: 'in', at }],
    outbox: [
      { idempotencyKey: `warm-up:${token}`, channel: 'email', kind: 'acknowledgement', payload: { warmUp: true }, withTicketId: true, nextAttemptAt: at },
    ],
    autoMailLog: [{ address, kind: 'acknowledgement', sentAt: at }],
    inbound: { messageId, rawSize: 0, source: 'file', fromAddress: address, subject: 'warm-up', receivedAt: at, outcome: 'ticket', reason: null },
    conversation: {
      messageId,
      kind: 'request',
      fromAddress: address,
      fromName: null,
      toAddresses: [],
      ccAddresses: [],
      receivedAt: at,
      text: 'warm-up',
      displayText: 'warm-up',
      truncated: false,
    },
  };
}

/**
 * Runs the statements intake runs for every new request (the sender lookup, the request reservation, the ticket with
 * its rows, the Slack card's read) `rounds` times, each round's writes in a transaction that is rolled back: nothing is
 * kept, no request number is used up, nothing is queued. The embedded database prepares a statement on its second
 * use, so two rounds there.
 */
export async function warmIntakeStatements(runtime: Pick<Runtime, 'transactor' | 'repositories' | 'policy' | 'clock'>, rounds: number): Promise<number> {
  for (let round = 0; round < rounds; round++) {
    const at = runtime.clock.now();
    const probe = `warm-up.${randomUUID()}@deskbot.invalid`;
    await runtime.repositories.directory.lookupSenderWithInbound({ email: probe, partnerIds: [], licenceNumbers: [] }, `<${probe}>`);
    await runtime.repositories.tickets.loadCard({ id: 0 });
    try {
      await runtime.transactor.run(async (tx) => {
        const reserved = await tx.tickets.reserveRequest({
          year: at.getUTCFullYear(),
          keys: { customerKey: null, partnerId: null, licenceNumber: null },
          lockAutoMailTo: probe,
          autoMailSince: at,
        });
        await tx.tickets.insertWithWrites(sampleTicketWrites(runtime, reserved.requestId, at));
        throw new WarmUpRollback();
      });
    } catch (error) {
      if (!(error instanceof WarmUpRollback)) throw error;
    }
  }
  return rounds;
}

/** A plain request the parser reads once; nothing is stored or sent. */
const sampleMail = Buffer.from(
  [
    'From: Warm Up <warm-up@deskbot.invalid>',
    'To: support@deskbot.invalid',
    'Subject: warm-up',
    'Message-ID: <warm-up@deskbot.invalid>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Warm-up only.',
    '',
  ].join('\r\n'),
);

/**
 * What every new request uses, before intake starts: its answer's templates, the calendars, the parser, the intake's
 * statements. A template that does not compile rejects (as its first render would); a database that refuses the
 * statements' warm-up (down, read-only) is reported in the summary and costs the first mail its compile time again.
 */
export async function warmIntake(
  runtime: Pick<Runtime, 'mailRenderer' | 'policy' | 'clock' | 'parser' | 'transactor' | 'repositories' | 'database'>,
): Promise<IntakeWarmUpSummary> {
  const started = performance.now();
  const templates = await runtime.mailRenderer.warm(intakeTemplates);
  const now = runtime.clock.now();
  const names = Object.keys(runtime.policy.calendars);
  for (const name of names) calendarFor(runtime.policy, name).addSupportTime(now, 60 * 60 * 1_000);
  await runtime.parser.parse(sampleMail);
  let statementRounds = 0;
  let statementsError: string | undefined;
  try {
    statementRounds = await warmIntakeStatements(runtime, runtime.database.kind === 'pglite' ? 2 : 1);
  } catch (error) {
    statementsError = error instanceof Error ? error.message : String(error);
  }
  return {
    templates,
    calendars: names.length,
    statementRounds,
    ...(statementsError === undefined ? {} : { statementsError }),
    ms: Math.round(performance.now() - started),
  };
}

/** Every other template, in the background once serve listens. */
export async function warmUp(runtime: Pick<Runtime, 'mailRenderer'>): Promise<WarmUpSummary> {
  const started = performance.now();
  const templates = await runtime.mailRenderer.warm();
  return { templates, ms: Math.round(performance.now() - started) };
}
