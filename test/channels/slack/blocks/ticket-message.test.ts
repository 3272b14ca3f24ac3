// The SLA lines of a ticket's Slack message: what each unmet target shows, and why a clock has not started.
import { describe, expect, it } from 'vitest';
import type { TicketCard } from '../../../../src/app/read-models.ts';
import { slaLines } from '../../../../src/channels/slack/blocks/ticket-message.ts';

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
