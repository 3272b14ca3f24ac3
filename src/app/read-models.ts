// The read models of the query ports (ports.ts): ticket lists and cards for Slack, callers, the SLA report's and
// the charges export's rows, the directory lookup of intake. Plain shapes; src/store/ builds them from its queries.
import type { Directory } from '../domain/directory.ts';
import type { SlaTimerRow, TicketRow } from './records.ts';

export const ticketListFilters = ['mine', 'open', 'breaching', 'waiting'] as const;
/** mine: not closed and assigned to the user; open: not closed; breaching: a running target past its warning; waiting: on the customer. */
export type TicketListFilter = (typeof ticketListFilters)[number];

/** One line of a ticket list or the SLA board. */
export interface TicketSummary {
  id: number;
  requestId: string;
  subject: string;
  severity: number;
  status: string;
  assigneeSlackId: string | null;
  /** Customer name, partner name, or the requester's address when neither is known. */
  party: string;
  /** The running (not met, not paused) target due first; null when no target runs. */
  nextTarget: string | null;
  nextDueAt: Date | null;
  /** A running target is past its warning point (75% of its support time by default) or already warned. */
  warned: boolean;
  /** A running target is past due or was recorded as breached. */
  breached: boolean;
}

export interface TicketListPage {
  tickets: TicketSummary[];
  /** How many tickets match in all; with `totalIsAtLeast`, at least this many (counting stopped there). */
  total: number;
  totalIsAtLeast?: boolean;
}

/** What a ticket's Slack message shows: the row, who it belongs to, and its unmet SLA timers (running or paused). */
export type TicketCard = TicketRow & {
  customer: { key: string; name: string; isPartner: boolean } | null;
  partner: { partnerId: string; name: string } | null;
  licence: { number: string; product: string; type: string; registeredOn: Date; trialEndsOn: Date | null } | null;
  splitFrom: { requestId: string } | null;
  slaTimers: SlaTimerRow[];
  /**
   * The start of the request's text: its conversation's first message, or what a phone caller described, up to 1,000
   * characters (absent: none stored).
   */
  description?: string | null;
  /**
   * Why no acknowledgement went to the customer (an X-Auto-Response-Suppress header, the throttle, old mail), while no
   * engineer has answered since: the customer has not been told the request ID, the targets or the fee. Absent: none withheld.
   */
  acknowledgementWithheld?: string | null;
};

/** A customer found by /support callers, with its eligible callers. */
export interface CustomerWithCallers {
  key: string;
  name: string;
  supportLevel: string;
  eligibleCallers: Array<{ email: string; name: string; phone: string | null }>;
}

/** A reporting period [from, to). */
export interface Period {
  from: Date;
  to: Date;
}

/** One recorded breach (TicketEvent 'sla-breach'). */
export interface BreachRecord {
  ticketId: number;
  requestId: string;
  /** Customer name (a partner's name for partner requests). */
  customer: string;
  severity: number;
  /** initial-response | progress-update | resolution */
  target: string;
  dueAt: Date;
  /** When the sweeper recorded it. */
  breachedAt: Date;
  assigneeSlackId: string | null;
  /** The request still needs its post-mortem (Cryptzone §7); false once `/support postmortem` recorded it. */
  postMortemNeeded: boolean;
}

/** A ticket of the report period with the instants its measures come from. */
export interface ReportTicket {
  id: number;
  requestId: string;
  customerKey: string;
  customerName: string;
  severity: number;
  calendar: string;
  supportLevel: string;
  openedAt: Date;
  clockStartedAt: Date | null;
  firstResponseAt: Date | null;
  closedAt: Date | null;
  /** Timers of the ticket that breached (any target, any cycle). */
  breaches: number;
  /** Cryptzone §7: a breached request's post-mortem, still open or recorded; null when none is due. */
  postMortem: 'open' | 'done' | null;
}

/** A timer that fell due in the period, with how it ended. */
export interface DueTimer {
  target: string;
  dueAt: Date;
  metAt: Date | null;
  breachedAt: Date | null;
}

/** One incident in the invoicing export. */
export interface ChargeExportRow {
  requestId: string;
  customerKey: string | null;
  customerName: string | null;
  partnerId: string | null;
  licence: string | null;
  openedAt: Date;
  /** The last close; null when the incident was reopened after it was charged and is open now. */
  closedAt: Date | null;
  outcome: string | null;
  exclusion: string | null;
  chargeable: boolean;
  amountMinor: number;
  currency: string;
  reasonCode: string;
  reason: string;
  closedBy: string | null;
  /** When the Charge was made; null for a free incident. */
  chargedAt: Date | null;
}

/** What a directory import changed. */
export interface ImportSummary {
  customers: { created: number; updated: number };
  licences: { created: number; updated: number };
  eligibleCallers: { created: number; removed: number; kept: number };
  partners: { created: number; updated: number };
}

/** Who an inbound message is from, and the partner IDs and licence numbers it names. */
export interface SenderQuery {
  email: string;
  partnerIds: string[];
  licenceNumbers: string[];
}

/** What intake reads from the directory for one message. */
export interface SenderLookup {
  directory: Directory;
  /** Product names of all licences, sorted, for recognising the product a request names. */
  knownProducts: string[];
}

/** One row of `deskbot inbound list`. */
export interface InboundEntry {
  messageId: string;
  receivedAt: Date;
  source: string;
  fromAddress: string | null;
  subject: string | null;
  outcome: string;
  reason: string | null;
  ticketId: number | null;
  /** The ticket's service-request ID (SR-…), or null without a ticket. */
  requestId: string | null;
  retriedAt: Date | null;
  previousOutcome: string | null;
  /** Whether the whole message is kept, so `inbound retry` can run it. */
  retryable: boolean;
}

/** A ticket whose needs-info reminder is due, with what the reminder and its checks need. */
export interface DueNeedsInfoReminder {
  id: number;
  requestId: string;
  subject: string;
  status: string;
  clockStartedAt: Date | null;
  missingInfo: string[];
  locale: string;
  requesterEmail: string;
  requesterName: string | null;
  rootMessageId: string | null;
  /** Products of the customer's licences, offered as a hint when the product is missing. */
  products: string[];
}
