// A ticket's Slack message: what each unmet SLA target shows, why a clock has not started, and the status field
// (also as `/support show` says it).
import { describe, expect, it } from 'vitest';
import type { TicketCard } from '../../../../src/app/read-models.ts';
import { showReply } from '../../../../src/channels/slack/blocks/command-replies.ts';
import { slaLines, ticketMessage } from '../../../../src/channels/slack/blocks/ticket-message.ts';
import { defaultPolicy } from '../../../../src/domain/policy.ts';

const now = new Date('2026-11-30T12:00:00Z');
const timer = (overrides: Partial<TicketCard['slaTimers'][number]>): TicketCard['slaTimers'][number] => ({
  id: 1,
  ticketId: 1,
  target: 'initial-response',
  cycle: 1,
  budgetMs: 4n * 3_600_000n,
  startedAt: new Date('2026-11-30T08:00:00Z'),
  warnAt: new Date('2026-11-30T11:00:00Z'),
  dueAt: new Date('2026-11-30T12:00:00Z'),
  remainingMs: null,
  warnedAt: null,
  breachedAt: null,
  metAt: null,
  nextEventAt: null,
  ...overrides,
});
const card = (overrides: Partial<TicketCard>): TicketCard =>
  ({ status: 'open', slaTimers: [], missingInfo: [], awaitingAgreement: false, ...overrides }) as TicketCard;

describe('slaLines', () => {
  it('a target missed and then given more time by a severity change says both: missed, and the new due time', () => {
    const retargeted = timer({ breachedAt: new Date('2026-11-30T10:00:00Z'), dueAt: new Date('2026-11-30T18:00:00Z') });
    const [line] = slaLines(card({ slaTimers: [retargeted] }), now);
    expect(line).toMatch(/^:red_circle: Initial response was missed <!date\^\d+\^.*with the new severity it is due <!date\^\d+\^.*\(in 6 h\)$/);
  });

  it('a breached target still overdue keeps the plain overdue line', () => {
    const [line] = slaLines(card({ slaTimers: [timer({ breachedAt: new Date('2026-11-30T10:00:00Z'), dueAt: new Date('2026-11-30T10:00:00Z') })] }), now);
    expect(line).toMatch(/^:red_circle: Initial response due .*\(2 h overdue\)$/);
  });

  it('a paused target shows its support time left in hours, never in 24-hour days (3 business days = 27 h)', () => {
    const [line] = slaLines(card({ status: 'waiting', slaTimers: [timer({ target: 'resolution', remainingMs: 27n * 3_600_000n })] }), now);
    expect(line).toBe(':double_vertical_bar: Resolution: paused, 27 h of support time left');
  });

  it('a complete request waiting for the terms agreement says so, not "incomplete"', () => {
    expect(slaLines(card({ awaitingAgreement: true }), now)).toEqual(["_SLA clock not started: waiting for the customer's agreement to the terms._"]);
    expect(slaLines(card({ awaitingAgreement: true, missingInfo: ['version'] }), now)).toEqual(['_SLA clock not started: the request is incomplete._']);
  });
});

/** A whole card as loadTicketCard returns it: a paid request of Acme on 24x7, open, no timers. */
function fullCard(overrides: Partial<TicketCard>): TicketCard {
  const openedAt = new Date('2026-11-30T08:00:00Z');
  return {
    id: 1,
    requestId: 'SR-2026-000001',
    customerId: 1,
    partnerId: null,
    licenceId: null,
    requesterKind: 'eligible-caller',
    requesterEmail: 'jane@acme.example',
    requesterName: 'Jane Roe',
    subject: 'Widget server crashes on start',
    summary: '',
    severity: 3,
    status: 'open',
    product: null,
    productVersion: null,
    missingInfo: [],
    calendar: '24x7',
    supportLevel: 'normal',
    locale: 'en',
    openedAt,
    clockStartedAt: null,
    pausedAt: null,
    firstResponseAt: null,
    lastEngineerUpdateAt: null,
    assigneeSlackId: null,
    priceMinor: 8000,
    priceCurrency: 'USD',
    outcome: null,
    exclusion: null,
    closedAt: null,
    closedBy: null,
    chargeDecision: null,
    breached: false,
    needsPostMortem: false,
    postMortemAt: null,
    postMortemBy: null,
    postMortemNotes: null,
    preSales: false,
    awaitingAgreement: false,
    rootMessageId: null,
    slackChannel: null,
    slackTs: null,
    splitFromId: null,
    source: 'email',
    openedBy: null,
    needsInfoRemindAt: null,
    createdAt: openedAt,
    updatedAt: openedAt,
    customer: { key: 'ACME', name: 'Acme Corp', isPartner: false },
    partner: null,
    licence: null,
    splitFrom: null,
    slaTimers: [],
    ...overrides,
  };
}

const policy = defaultPolicy();
/** The mrkdwn texts of a message's sections and fields, in order. */
const texts = (card: TicketCard) =>
  ticketMessage(card, { policy, now }).blocks.flatMap((block) => {
    const section = block as { type: string; text?: { text: string }; fields?: Array<{ text: string }> };
    if (section.type !== 'section') return [];
    return [...(section.text ? [section.text.text] : []), ...(section.fields ?? []).map((field) => field.text)];
  });

describe('the status field', () => {
  it.each([
    [
      'a complete request waiting only for the customer\'s "I agree" says so, not "Incomplete"',
      { status: 'new', awaitingAgreement: true },
      "Awaiting the customer's agreement to the terms (SLA clock not started)",
    ],
    [
      'an incomplete request names what it needs, also when the agreement is still to come',
      { status: 'new', awaitingAgreement: true, missingInfo: ['version'] },
      'Incomplete: needs version',
    ],
    ['an incomplete request of a customer who agreed names what it needs', { status: 'new', missingInfo: ['severity'] }, 'Incomplete: needs severity'],
    ['an open request is open', {}, 'Open'],
  ] as Array<[string, Partial<TicketCard>, string]>)('%s', (_rule, overrides, status) => {
    const card = fullCard(overrides);
    expect(texts(card)).toContain(`*Status*\n${status}`);
    expect(showReply({ card, events: [], conversation: [] }, policy, now)).toContain(` · ${status} · Assignee:`);
  });
});

describe('a subject with mrkdwn formatting characters', () => {
  const card = fullCard({ subject: 'Server *down* _now_ ~x~ `code` <!channel>' });
  /** The same words, each formatting character a lookalike (∗ ˍ ∼ ˋ), the mention escaped. */
  const shown = 'Server \u2217down\u2217 \u02CDnow\u02CD \u223Cx\u223C \u02CBcode\u02CB &lt;!channel&gt;';

  it('shows literally inside the bold title: the only asterisks are the two around it', () => {
    const title = texts(card)[0]!;
    expect(title).toBe(`*${shown}*`);
    expect(title.match(/[*_~`]/g)).toEqual(['*', '*']);
  });

  it('shows literally in the fallback text and in the bold title of `/support show`', () => {
    expect(ticketMessage(card, { policy, now }).text).toContain(`: ${shown} (Open)`);
    expect(showReply({ card, events: [], conversation: [] }, policy, now).split('\n')[0]).toBe(`*SR-2026-000001* — *${shown}*`);
  });
});
