// Why: a fresh process answered its first burst of mail with about a quarter more CPU per message than the next burst
// (bench:intake --bursts 3: 15.9 -> 11.3 ms per message; V8's optimising compiler busy on helper threads, the main
// thread still in unoptimised code). After start-up, while no real mail is being handled, serve rehearses intake:
// synthetic requests from a synthetic eligible caller go through the real parser, router, eligibility, fee and SLA
// policy, templates and the ticket's statements, in transactions that are always rolled back, and their
// acknowledgements are composed as MIME but never sent — so that real mail meets compiled code.
// Nothing is kept, sent, posted, counted in metrics or logged per round; no request number is used up (the counter's
// row is rolled back with the rest). Real mail comes first: a round starts only when intake has been idle for a while,
// and the rehearsal ends early after a real burst has warmed the code itself.
import { randomBytes, randomUUID } from 'node:crypto';
import { type OutgoingMail, outgoingMailSchema } from '../app/outbox-messages.ts';
import type { InboundSource, Repositories, Service, Transactor } from '../app/ports.ts';
import type { NewTicketWrites } from '../app/records.ts';
import { createUnrecordedIntake, type InboundEmailOptions } from '../app/intake/handle-inbound-email.ts';
import type { Directory } from '../domain/directory.ts';
import { currencies, type Policy } from '../domain/policy.ts';
import type { Logger } from '../logger.ts';
import { WarmUpRollback } from '../warm-up.ts';

export interface IntakeRehearsalOptions {
  /** The real intake's dependencies; its logger is replaced by a silent one and its transactor by a rolling-back one. */
  intake: Omit<InboundEmailOptions, 'onCommitted' | 'logger'>;
  /** Composes an acknowledgement as the e-mail channel would send it, without sending it (channels/email composeMessage). */
  compose: (mail: OutgoingMail) => Promise<unknown>;
  /** Where the summary goes (one line when the rehearsal ends). */
  logger: Logger;
  /** Rounds of synthetic requests (INTAKE_REHEARSAL_ROUNDS); 0 turns the rehearsal off. */
  rounds: number;
  /** Whether real intake work is in hand or was within the last `idleMs` (the rehearsal waits meanwhile). */
  busy: () => boolean;
  /** Real messages handled so far by this process; once `enoughRealMail` more than at start came, the rehearsal ends. */
  handledSoFar: () => number;
  /** Default 200: a burst that size has compiled the code itself. */
  enoughRealMail?: number;
  /** How often a waiting rehearsal looks again (default 25 ms). */
  waitMs?: number;
}

export interface RehearsalSummary {
  rounds: number;
  /** Acknowledgements composed (as MIME, never sent): one per round when the rounds took intake's new-request path. */
  composed: number;
  /** Why it ended: every round ran, real mail did the warming, serve stopped, or a round failed (see `error`). */
  ended: 'done' | 'real-mail' | 'stopped' | 'failed';
  error?: string;
  ms: number;
}

export interface IntakeRehearsal extends Service {
  /** Settles when the rehearsal ends (never rejects). */
  readonly finished: Promise<RehearsalSummary>;
}

/** Addresses and Message-IDs under a reserved top-level domain (RFC 2606): nobody can be written to or collide. */
const rehearsalDomain = 'rehearsal.deskbot.invalid';

/** One synthetic customer per rehearsal: its key, licence number and caller are unique to this process. */
interface RehearsalCaller {
  customerKey: string;
  licence: string;
  email: string;
  name: string;
  product: string;
}

function rehearsalCaller(knownProducts: readonly string[]): RehearsalCaller {
  const hex = randomBytes(6).toString('hex').toUpperCase();
  return {
    customerKey: `deskbot-rehearsal-${hex.toLowerCase()}`,
    licence: `${hex.slice(0, 4)}-${hex.slice(4, 8)}-${hex.slice(8, 12)}`,
    email: `caller.${hex.toLowerCase()}@${rehearsalDomain}`,
    name: 'Rehearsal Caller',
    product: knownProducts[0] ?? 'Rehearsal Server',
  };
}

/**
 * The directory the rehearsal's sender is found in, writing in the deployment's LOCALE (its customers' usual
 * language, so the templates most mail uses are the ones warmed). Odd rounds are a chargeable incident (the licence
 * registered long ago, the terms agreed), even ones a free one in its installation period: both fee texts render.
 */
function rehearsalDirectory(caller: RehearsalCaller, policy: Policy, locale: string, round: number, now: Date): Directory {
  const calendar = Object.keys(policy.calendars)[0] ?? 'default';
  const currency = currencies.find((code) => policy.billing.fees[code] !== undefined) ?? 'USD';
  const day = (offsetDays: number) => new Date(now.getTime() + offsetDays * 86_400_000).toISOString().slice(0, 10);
  const chargeable = round % 2 === 1;
  return {
    partners: [],
    customers: [
      {
        key: caller.customerKey,
        name: 'Rehearsal Customer',
        supportLevel: round % 3 === 0 ? 'plus' : 'normal',
        calendar,
        currency,
        isPartner: false,
        suspended: null,
        termsAgreed: true,
        locale,
        licences: [
          {
            number: caller.licence,
            product: caller.product,
            type: 'commercial',
            registeredOn: chargeable ? day(-400) : day(-10),
            maintenanceUntil: day(365),
            trialEndsOn: null,
          },
        ],
        eligibleCallers: [{ email: caller.email, name: caller.name }],
      },
    ],
  };
}

/**
 * A request as customers write them: plain text in most rounds, text with an HTML alternative in every fourth; with
 * the passing Authentication-Results the receiving server (`authServId`) adds, so that AUTH_REQUIRED admits it too.
 */
function rehearsalRequest(caller: RehearsalCaller, round: number, at: Date, authServId: string): Buffer {
  const messageId = `<${randomUUID()}@${rehearsalDomain}>`;
  const version = `10.${round % 4}.${round % 7}`;
  const severity = 2 + (round % 4);
  const lines = [
    'Hello support,',
    '',
    `since the update to ${caller.product} ${version} the server stops delivering queued mail after a restart.`,
    'Users cannot send anything until we restart the service again.',
    '',
    `Licence number: ${caller.licence}`,
    `Severity: ${severity}`,
    '',
    'Regards,',
    caller.name,
  ];
  const head = [
    `Authentication-Results: ${authServId}; dkim=pass header.d=${rehearsalDomain}; spf=pass smtp.mailfrom=${caller.email}; dmarc=pass header.from=${rehearsalDomain}`,
    `From: ${caller.name} <${caller.email}>`,
    `To: Support <support@${rehearsalDomain}>`,
    `Subject: ${caller.product} ${version}: queue stalls after restart (round ${round})`,
    `Message-ID: ${messageId}`,
    `Date: ${at.toUTCString()}`,
    'MIME-Version: 1.0',
  ];
  if (round % 4 !== 3) {
    return Buffer.from([...head, 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', ...lines, ''].join('\r\n'));
  }
  const boundary = `rehearsal-${round}`;
  const html = `<html><body>${lines.map((line) => (line ? `<p>${line}</p>` : '')).join('')}</body></html>`;
  return Buffer.from(
    [
      ...head,
      `Content-Type: multipart/alternative; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      ...lines,
      `--${boundary}`,
      'Content-Type: text/html; charset=utf-8',
      '',
      html,
      `--${boundary}--`,
      '',
    ].join('\r\n'),
  );
}

/** The e-mail payloads a transaction queued, whichever way it queued them. */
function capturingOutbox(tx: Repositories, mails: unknown[]): Repositories {
  return {
    ...tx,
    tickets: {
      ...tx.tickets,
      insertWithWrites: (writes: NewTicketWrites) => {
        for (const row of writes.outbox) if (row.channel === 'email') mails.push(row.payload);
        return tx.tickets.insertWithWrites(writes);
      },
    },
    autoMail: {
      ...tx.autoMail,
      record: (record) => {
        mails.push(record.outbox.payload);
        return tx.autoMail.record(record);
      },
    },
    outbox: {
      ...tx.outbox,
      enqueue: (entry, now) => {
        if (entry.channel === 'email') mails.push(entry.payload);
        return tx.outbox.enqueue(entry, now);
      },
    },
  };
}

/** The real transactor, every transaction rolled back at its end (its result thrown away with it). */
function rollingBack(transactor: Transactor, mails: unknown[]): Transactor {
  return {
    async run(work, options) {
      return transactor.run(async (tx) => {
        await work(capturingOutbox(tx, mails));
        throw new WarmUpRollback('intake rehearsal');
      }, options);
    },
  };
}

/** Reads as intake makes them, the sender found in the rehearsal's directory (the real lookup still runs). */
function withRehearsalDirectory(repositories: Repositories, directory: () => Directory): Repositories {
  return {
    ...repositories,
    directory: {
      ...repositories.directory,
      lookupSenderWithInbound: async (query, messageId) => ({
        ...(await repositories.directory.lookupSenderWithInbound(query, messageId)),
        directory: directory(),
      }),
      lookupSender: async (query) => ({ ...(await repositories.directory.lookupSender(query)), directory: directory() }),
    },
  };
}

/** The summary of a rehearsal that ran no round (off, stopped before it began, or failed before its first). */
const untouched = (ended: RehearsalSummary['ended'], error?: string): RehearsalSummary => ({
  rounds: 0,
  composed: 0,
  ended,
  ...(error === undefined ? {} : { error }),
  ms: 0,
});

/** Starts rehearsing once started; `stop` ends it after the round in hand. */
export function createIntakeRehearsal(options: IntakeRehearsalOptions): IntakeRehearsal {
  const { intake, rounds } = options;
  const enoughRealMail = options.enoughRealMail ?? 200;
  const waitMs = options.waitMs ?? 25;
  let started = false;
  let stopping = false;
  let wake: (() => void) | undefined;
  let resolveFinished!: (summary: RehearsalSummary) => void;
  const finished = new Promise<RehearsalSummary>((resolve) => {
    resolveFinished = resolve;
  });
  const pause = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function rehearse(): Promise<RehearsalSummary> {
    const started = performance.now();
    let composed = 0;
    const summary = (ended: RehearsalSummary['ended'], done: number, error?: string): RehearsalSummary => ({
      rounds: done,
      composed,
      ended,
      ...(error === undefined ? {} : { error }),
      ms: Math.round(performance.now() - started),
    });
    const realAtStart = options.handledSoFar();
    const mails: unknown[] = [];
    let round = 0;
    let directory: Directory | undefined;
    const probe = await intake.repositories.directory.lookupSender({ email: `probe@${rehearsalDomain}`, partnerIds: [], licenceNumbers: [] });
    const caller = rehearsalCaller(probe.knownProducts);
    const handle = createUnrecordedIntake({
      ...intake,
      logger: options.logger.child({ component: 'intake-rehearsal' }, { level: 'silent' }),
      transactor: rollingBack(intake.transactor, mails),
      repositories: withRehearsalDirectory(intake.repositories, () => directory!),
    });
    for (; round < rounds; round++) {
      while (!stopping && options.busy()) {
        if (options.handledSoFar() - realAtStart >= enoughRealMail) return summary('real-mail', round);
        await pause();
      }
      if (stopping) return summary('stopped', round);
      const now = intake.clock.now();
      directory = rehearsalDirectory(caller, intake.policy, intake.config.LOCALE, round, now);
      const source: InboundSource = { kind: 'imap', mailbox: 'INBOX', uidValidity: 1n, uid: BigInt(round + 1), receivedAt: now };
      mails.length = 0;
      try {
        await handle(rehearsalRequest(caller, round, now, intake.config.AUTH_SERV_ID ?? rehearsalDomain), source);
        return summary('failed', round, 'a rehearsal transaction was not rolled back');
      } catch (error) {
        if (!(error instanceof WarmUpRollback)) return summary('failed', round, error instanceof Error ? error.message : String(error));
      }
      for (const payload of mails) {
        await options.compose(outgoingMailSchema.parse(payload));
        composed += 1;
      }
      // Other work (an HTTP request, a timer) gets its turn between rounds.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return summary('done', round);
  }

  return {
    name: 'intake-rehearsal',
    finished,
    async start() {
      if (started) return;
      started = true;
      if (rounds <= 0 || stopping) {
        resolveFinished(untouched(stopping ? 'stopped' : 'done'));
        return;
      }
      void rehearse()
        .catch((error: unknown) => untouched('failed', error instanceof Error ? error.message : String(error)))
        .then(resolveFinished);
    },
    async stop() {
      stopping = true;
      if (!started) {
        started = true;
        resolveFinished(untouched('stopped'));
      }
      wake?.();
      await finished;
    },
  };
}
