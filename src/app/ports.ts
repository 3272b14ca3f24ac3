// The interfaces use cases need from the outside world; channels, store and jobs implement them.
import type { RenderedMail, TemplateDataMap, TemplateName } from './mail-templates.ts';
import type { OutboxEntry } from './outbox-messages.ts';

/** Where "now" comes from; tests pass a controllable clock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A long-running part of `deskbot serve` (intake, dispatcher, sweeper, Slack). */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  /** Stop taking new work, finish or hand back claimed work, release connections. */
  stop(): Promise<void>;
}

/** Where an inbound message came from; IMAP sources carry their resume position. */
export type InboundSource =
  | { kind: 'imap'; mailbox: string; uidValidity: bigint; uid: bigint }
  | { kind: 'file'; path: string }
  | { kind: 'stdin' };

/** How one inbound message ended. Every message ends in exactly one of these; none is dropped silently. */
export const inboundOutcomes = ['ticket', 'reply', 'rejected', 'ignored', 'quarantined', 'bounce', 'duplicate'] as const;
export type InboundOutcome = (typeof inboundOutcomes)[number];

export interface InboundResult {
  outcome: InboundOutcome;
  reason?: string;
  requestId?: string;
  ticketId?: number;
}

/**
 * Handles one raw RFC 822 message: decides what it is and commits the ticket work and its outgoing mail
 * in one transaction. Resolves only after the commit; idempotent per Message-ID (a second delivery resolves
 * with outcome 'duplicate'). Rejects with a retryable DeskbotError (DB_UNAVAILABLE) when nothing was committed.
 */
export type InboundMailHandler = (raw: Buffer, source: InboundSource) => Promise<InboundResult>;

/** Renders a mail template for a locale (falling back to its language, then `en`); channels/email/templates.ts. */
export interface MailRenderer {
  render<N extends TemplateName>(name: N, locale: string, data: TemplateDataMap[N]): RenderedMail;
}

/** Queues one outbox message inside the caller's transaction; false when its idempotency key was queued already. */
export interface OutboxWriter {
  enqueue(entry: OutboxEntry): Promise<boolean>;
}
