// Use case: an engineer closes a service request. In one transaction: the ticket closes, its SLA timers stop, the
// charge is decided (billing.ts) and recorded once per incident, and the customer's closure mail and billing's
// charge notice are queued. Leaves out delivering them (the outbox dispatcher) and reopening (engineer/reopen.ts).
//
// Re-closing after a reopen (a decision of this file; the terms are silent):
// - the incident was charged at an earlier close: nothing more is charged, ever (terms 3.1: one fee per incident,
//   3.3: non-refundable once charged); the customer is told so;
// - an earlier close was free: it stays free unless the engineer decides explicitly (an override to charge, or an
//   exceptional closure with "charge"), because the customer was already told no fee applies;
// - billing gets `charge-notice:<requestId>` at the incident's first close, and `charge-notice:<requestId>:charged`
//   only when a later close creates the Charge; other re-closes change nothing for billing and notify nobody there.
import { z } from 'zod';
import { chargeTicketOf, closeOutcomes, decideCharge, exclusions, type ChargeDecision, type Exclusion } from '../domain/billing.ts';
import { formatMoney } from '../domain/format.ts';
import { paymentInstructionsIn, type Currency, type PaymentInstructions, type Policy } from '../domain/policy.ts';
import { DeskbotError } from '../errors.ts';
import type { ChargeNotice, NoFeeReason } from './mail-templates.ts';
import { outcomeText } from './close-outcome-text.ts';
import { notify, requesterRecipient } from './notify.ts';
import type { Repositories } from './ports.ts';
import type { ClosingTicket, StoredChargeDecision } from './records.ts';
import type { UseCaseDeps } from './deps.ts';

type Tx = Repositories;

export const chargeChoices = ['charge', 'no-charge'] as const;
export type ChargeChoice = (typeof chargeChoices)[number];

export const closeTicketInputSchema = z.object({
  requestId: z.string().trim().min(1),
  outcome: z.enum(closeOutcomes),
  exclusion: z.enum(Object.keys(exclusions) as [Exclusion, ...Exclusion[]]).optional(),
  /** With `exceptional`: the engineer's decision. With any other outcome: an override of the rules. */
  charge: z.enum(chargeChoices).optional(),
  /** Required with `exceptional` and with an override; otherwise a note kept in the ticket's history. */
  reason: z.string().trim().optional(),
  /** Slack user ID (or name) of who closes. */
  actor: z.string().trim().min(1),
  /** How many closes the ticket had when the engineer asked (the close modal carries it): a close of an earlier cycle is refused. */
  expectedCloses: z.number().int().min(0).optional(),
});
export type CloseTicketInput = z.input<typeof closeTicketInputSchema>;

/** The renderer writes the customer's closure mail; onCommitted runs after the commit of a close that queued notices. */
export type CloseTicketDeps = UseCaseDeps<'transactor' | 'policy' | 'clock' | 'logger' | 'renderer' | 'onCommitted', 'SUPPORT_ADDRESS' | 'SUPPORT_NAME'>;

/** What the close decided; for an `alreadyClosed` call, what the close that did it decided. */
export interface CloseTicketResult {
  requestId: string;
  alreadyClosed: boolean;
  /** Whether this close charges the incident's fee. */
  chargeable: boolean;
  /** Charged by this close, minor units of `currency`; 0 when free. */
  amountMinor: number;
  currency: string;
  /** One sentence for the Slack card. */
  explanation: string;
  /** billing.ts ChargeReason, or 'already-charged' / 'previously-free' for a re-close. */
  chargeReason: string;
}

/** Re-close reasons on top of billing.ts's ChargeReason. */
export type ReCloseReason = 'already-charged' | 'previously-free';

/** The charge of one close, after the once-per-incident rules. */
export interface CloseCharge {
  chargeable: boolean;
  amountMinor: number;
  currency: Currency;
  reason: ChargeDecision['reason'] | ReCloseReason;
  explanation: string;
}

function invalid(message: string, details?: Record<string, unknown>): DeskbotError {
  return new DeskbotError('INVALID_STATE', message, details ? { details } : {});
}

function sentence(text: string): string {
  return text.trim().replace(/[.\s]+$/, '');
}

function dayOf(iso: string): string {
  return iso.slice(0, 10);
}

/**
 * The once-per-incident rules on top of billing.ts: `rules` is what decideCharge says for this close, `earlier` the
 * decisions of the incident's earlier closes, `charged` its Charge if one was made. Pure; see the file header.
 */
export function applyIncidentHistory(
  rules: ChargeDecision,
  history: { earlier: StoredChargeDecision[]; charged: { amountMinor: number; currency: string; decidedAt: Date } | null; explicit: boolean },
): CloseCharge {
  const { charged, earlier } = history;
  if (charged) {
    const amount = formatMoney(charged.amountMinor, charged.currency as Currency);
    return {
      chargeable: false,
      amountMinor: 0,
      currency: rules.currency,
      reason: 'already-charged',
      explanation: `No further charge: the fee of ${amount} for this incident was already charged when it was closed on ${dayOf(charged.decidedAt.toISOString())}; it is charged once per incident and not refunded.`,
    };
  }
  const firstFree = earlier.find((decision) => !decision.chargeable);
  if (firstFree && rules.chargeable && !history.explicit) {
    return {
      chargeable: false,
      amountMinor: 0,
      currency: rules.currency,
      reason: 'previously-free',
      explanation: `Free: the incident was closed without a fee on ${dayOf(firstFree.decidedAt)} (${sentence(firstFree.explanation.replace(/^Free:\s*/, ''))}); closing it again after a reopen adds no fee.`,
    };
  }
  return { chargeable: rules.chargeable, amountMinor: rules.amountMinor, currency: rules.currency, reason: rules.reason, explanation: rules.explanation };
}

/**
 * Why no fee applies, as the closure templates name it: each has a fixed sentence in every locale (issue 12 point 4).
 * Never the internal explanation: it may quote an engineer's override or exceptional reason and a Slack user.
 */
const noFeeTemplateReasons: Record<
  Exclude<CloseCharge['reason'], 'resolved' | 'documentation' | 'excluded' | 'override-charged' | 'exceptional-charged'>,
  NoFeeReason
> = {
  partner: 'partner',
  'pre-sales': 'pre-sales',
  'trial-licence': 'trial',
  'installation-period': 'installation-period',
  bug: 'product-defect',
  rma: 'rma',
  duplicate: 'duplicate',
  'terms-not-agreed': 'terms-not-agreed',
  'override-free': 'waived',
  'exceptional-free': 'exceptional',
  'already-charged': 'already-charged',
  'previously-free': 'previously-free',
};

/** The closure mail's charge paragraph: the fee and how to pay it, or the fixed reason why none applies. */
export function chargeNotice(charge: CloseCharge, billing: { taxesExcluded: boolean; paymentInstructions: PaymentInstructions }, locale: string): ChargeNotice {
  if (charge.chargeable) {
    return {
      chargeable: true,
      amountMinor: charge.amountMinor,
      currency: charge.currency,
      taxesExcluded: billing.taxesExcluded,
      paymentInstructions: paymentInstructionsIn(billing.paymentInstructions, locale),
    };
  }
  const reason = (noFeeTemplateReasons as Partial<Record<CloseCharge['reason'], NoFeeReason>>)[charge.reason];
  // A free close whose rule reason is chargeable (an override to free decided otherwise) is a waived fee.
  return { chargeable: false, reason: reason ?? 'waived' };
}

function parseInput(input: CloseTicketInput) {
  const parsed = closeTicketInputSchema.safeParse(input);
  if (!parsed.success) {
    throw invalid(`Cannot close: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`).join('; ')}`);
  }
  const value = parsed.data;
  const reason = value.reason === '' ? undefined : value.reason;
  if (value.outcome === 'excluded' && !value.exclusion) throw invalid(`an excluded closure needs an exclusion: one of ${Object.keys(exclusions).join(', ')}`);
  if (value.outcome !== 'excluded' && value.exclusion) throw invalid(`an exclusion is only for excluded closures, not ${value.outcome}`);
  if (value.outcome === 'exceptional' && (!value.charge || !reason))
    throw invalid('an exceptional closure needs the charge decision (charge or no-charge) and a reason');
  if (value.outcome !== 'exceptional' && value.charge && !reason) throw invalid('overriding the charge decision needs a reason');
  return { ...value, reason };
}

type ClaimedTicket = ClosingTicket;
type Request = ReturnType<typeof parseInput>;
type Override = { chargeable: boolean; reason: string; by: string } | undefined;

/** Step 1: the conditional update is the claim; a concurrent close waits on the row lock, then finds it closed. */
async function claimClose(tx: Tx, request: Request, now: Date): Promise<{ ticket: ClaimedTicket; claimed: boolean }> {
  const claim = await tx.tickets.claimClose({ requestId: request.requestId, actor: request.actor, now });
  if (!claim) throw new DeskbotError('NOT_FOUND', `No service request ${request.requestId}`, { details: { requestId: request.requestId } });
  return claim;
}

/** A repeated close: what the close that did it decided. */
async function alreadyClosed(tx: Tx, ticket: ClaimedTicket): Promise<CloseTicketResult> {
  const last = (await tx.charges.history(ticket.id)).at(-1);
  return {
    requestId: ticket.requestId,
    alreadyClosed: true,
    chargeable: last?.chargeable ?? false,
    amountMinor: last?.amountMinor ?? 0,
    currency: last?.currency ?? ticket.priceCurrency,
    explanation: last?.explanation ?? 'The request was already closed.',
    chargeReason: last?.reason ?? '',
  };
}

/** Step 2: the billing rules, then the incident's history (one fee per incident), and the Charge row when one is due. */
async function decideClosingCharge(tx: Tx, policy: Policy, ticket: ClaimedTicket, request: Request, override: Override, now: Date) {
  const rules = decideCharge({
    policy,
    ticket: chargeTicketOf(policy, ticket),
    licence: ticket.licence
      ? { type: ticket.licence.type as 'commercial' | 'trial', registeredOn: ticket.licence.registeredOn.toISOString().slice(0, 10) }
      : null,
    outcome: request.outcome,
    customerIsPartner: ticket.customer?.isPartner === true,
    isPreSales: ticket.preSales,
    termsNotAgreed: ticket.awaitingAgreement,
    ...(request.exclusion ? { exclusion: request.exclusion } : {}),
    ...(override ? { override } : {}),
    ...(request.outcome === 'exceptional' ? { exceptional: { chargeable: request.charge === 'charge', reason: request.reason! } } : {}),
  });
  // One after the other: a transaction is one connection, which runs one query at a time.
  const earlier = await tx.charges.history(ticket.id);
  const charged = await tx.charges.find(ticket.id);
  const previousCloses = await tx.charges.countCloses(ticket.id);
  if (request.expectedCloses !== undefined && request.expectedCloses !== previousCloses) {
    throw invalid(`${ticket.requestId} was closed and reopened since this close was asked for; nothing changed. Close it again from its message.`, {
      closes: previousCloses,
    });
  }
  const closeCycle = previousCloses + 1;
  const charge = applyIncidentHistory(rules, { earlier, charged, explicit: override !== undefined || request.outcome === 'exceptional' });
  const chargeCreated = charge.chargeable
    ? await tx.charges.record({
        ticketId: ticket.id,
        amountMinor: charge.amountMinor,
        currency: charge.currency,
        reason: charge.reason,
        decidedAt: now,
        decidedBy: request.actor,
      })
    : false;
  if (charge.chargeable && !chargeCreated)
    throw new DeskbotError('INTERNAL', `${ticket.requestId} already has a charge`, { details: { requestId: ticket.requestId } });
  return { rules, charge, chargeCreated, closeCycle };
}
type ClosingCharge = Awaited<ReturnType<typeof decideClosingCharge>>;

/** Billing's charge-notice key for this close; none for a re-close that changes no charge (billing hears nothing). */
function billingKeyOf(requestId: string, { closeCycle, chargeCreated }: ClosingCharge): string | undefined {
  return closeCycle === 1 ? `charge-notice:${requestId}` : chargeCreated ? `charge-notice:${requestId}:charged` : undefined;
}

/**
 * Step 3: the decision stored on the ticket, the SLA timers stopped, and the closed / override / charge events. A close
 * billing hears nothing of still shows in the ticket's thread: its charge event queues its own thread post.
 */
async function recordClose(tx: Tx, ticket: ClaimedTicket, request: Request, override: Override, decided: ClosingCharge, now: Date): Promise<void> {
  const { rules, charge, chargeCreated, closeCycle } = decided;
  const stored: StoredChargeDecision = {
    chargeable: charge.chargeable,
    amountMinor: charge.amountMinor,
    currency: charge.currency,
    reason: charge.reason,
    ruleReason: rules.ruleReason,
    explanation: charge.explanation,
    overridden: rules.overridden,
    ...(rules.overrideReason ? { overrideReason: rules.overrideReason } : {}),
    ...(rules.overriddenBy ? { overriddenBy: rules.overriddenBy } : {}),
    chargeCreated,
    closeCycle,
    outcome: request.outcome,
    exclusion: request.exclusion ?? null,
    decidedAt: now.toISOString(),
    decidedBy: request.actor,
  };
  await tx.tickets.storeCloseDecision(ticket.id, { outcome: request.outcome, exclusion: request.exclusion ?? null, chargeDecision: stored });
  await tx.slaTimers.stop(ticket.id, now);
  await tx.events.append(ticket.id, {
    type: 'closed',
    at: now,
    actor: request.actor,
    detail: { outcome: request.outcome, exclusion: request.exclusion ?? null, closeCycle, ...(request.reason && !override ? { note: request.reason } : {}) },
  });
  if (override) {
    await tx.events.append(ticket.id, {
      type: 'charge-override',
      at: now,
      actor: request.actor,
      detail: { chargeable: override.chargeable, reason: override.reason, ruleReason: rules.ruleReason, applied: charge.reason === rules.reason },
    });
  }
  const charged = { type: 'charge', at: now, actor: request.actor, detail: stored };
  if (billingKeyOf(ticket.requestId, decided)) await tx.events.append(ticket.id, charged);
  else await tx.events.appendWithThreadPost(ticket.id, charged, now);
}

/** Step 4: the customer's closure mail (threaded under the request) and, when billing must hear of it, the charge notice. */
async function notifyClose(tx: Tx, deps: CloseTicketDeps, ticket: ClaimedTicket, request: Request, decided: ClosingCharge, now: Date): Promise<void> {
  const { config, policy } = deps;
  const { charge, closeCycle } = decided;
  const closure = await notify({ renderer: deps.renderer, supportAddress: config.SUPPORT_ADDRESS }, tx.outbox.writer(now), {
    template: 'closure',
    locale: ticket.locale,
    data: {
      recipientName: ticket.requesterName,
      supportName: config.SUPPORT_NAME,
      supportAddress: config.SUPPORT_ADDRESS,
      requestId: ticket.requestId,
      subject: ticket.subject,
      outcome: outcomeText(request.outcome, request.exclusion),
      outcomeCode: request.outcome,
      ...(request.exclusion ? { exclusion: request.exclusion } : {}),
      charge: chargeNotice(charge, policy.billing, ticket.locale),
    },
    to: requesterRecipient(ticket),
    ...(ticket.rootMessageId ? { inReplyTo: ticket.rootMessageId, references: [ticket.rootMessageId] } : {}),
    autoSubmitted: 'auto-generated',
    requestId: ticket.requestId,
    headers: { 'X-Deskbot-Request-Id': ticket.requestId },
    idempotencyKey: `closure:${ticket.requestId}:${closeCycle}`,
    ticketId: ticket.id,
  });
  await tx.threads.remember(ticket.id, [closure.messageId], 'out', now);

  const billingKey = billingKeyOf(ticket.requestId, decided);
  if (!billingKey) return;
  await tx.outbox.enqueue(
    {
      idempotencyKey: billingKey,
      channel: 'slack',
      kind: 'charge-notice',
      payload: {
        ticketId: ticket.id,
        requestId: ticket.requestId,
        customer: ticket.customer?.name ?? ticket.partner?.name ?? ticket.requesterEmail,
        licence: ticket.licence?.number ?? null,
        amountMinor: charge.amountMinor,
        currency: charge.currency,
        chargeable: charge.chargeable,
        reason: charge.reason,
        explanation: charge.explanation,
        outcome: request.outcome,
        closedBy: request.actor,
      },
      ticketId: ticket.id,
    },
    now,
  );
}

/**
 * Closes `requestId` once. A second call (a double click, a retry) returns `alreadyClosed: true` with the decision of
 * the close that happened and queues nothing. Throws NOT_FOUND for an unknown request, INVALID_STATE for an input the
 * rules cannot decide (see closeTicketInputSchema); nothing is committed then.
 */
export async function closeTicket(deps: CloseTicketDeps, input: CloseTicketInput): Promise<CloseTicketResult> {
  const request = parseInput(input);
  const log = deps.logger.child({ component: 'close-ticket', requestId: request.requestId });
  const now = deps.clock.now();

  const result = await deps.transactor.run(
    async (tx): Promise<CloseTicketResult> => {
      const { ticket, claimed } = await claimClose(tx, request, now);
      if (!claimed) return alreadyClosed(tx, ticket);
      const explicit = request.outcome !== 'exceptional' && request.charge;
      const override: Override = explicit ? { chargeable: request.charge === 'charge', reason: request.reason!, by: request.actor } : undefined;
      const decided = await decideClosingCharge(tx, deps.policy, ticket, request, override, now);
      await recordClose(tx, ticket, request, override, decided, now);
      await notifyClose(tx, deps, ticket, request, decided, now);
      const { charge, closeCycle } = decided;
      log.info(
        { event: 'ticket-closed', ticketId: ticket.id, outcome: request.outcome, chargeable: charge.chargeable, chargeReason: charge.reason, closeCycle },
        `closed ${ticket.requestId}`,
      );
      return {
        requestId: ticket.requestId,
        alreadyClosed: false,
        chargeable: charge.chargeable,
        amountMinor: charge.amountMinor,
        currency: charge.currency,
        explanation: charge.explanation,
        chargeReason: charge.reason,
      };
    },
    { maxWaitMs: 10_000, timeoutMs: 30_000 },
  );

  if (result.alreadyClosed) {
    log.info({ event: 'close-repeated' }, `${result.requestId} was already closed`);
  } else if (deps.onCommitted) {
    try {
      await deps.onCommitted();
    } catch (error) {
      log.error({ event: 'on-committed-failed', err: error }, 'post-commit hook failed; the outbox still delivers');
    }
  }
  return result;
}
