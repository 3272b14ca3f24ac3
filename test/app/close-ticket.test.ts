// Closing a ticket on PGlite and PostgreSQL: every charge rule and the override, one closure and one notice per
// close even on a double click, nothing half-done when the transaction dies, delivery exactly once after a dispatcher
// dies, and no second charge after a reopen.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closeTicket, type CloseTicketDeps, type CloseTicketInput } from '../../src/app/close-ticket.ts';
import { isDeskbotError } from '../../src/errors.ts';
import { defaultPolicy, paymentInstructionsIn } from '../../src/domain/policy.ts';
import { createOutboxDispatcher, type OutboxHandler, type OutboxItem } from '../../src/jobs/outbox-dispatcher.ts';
import { createSilentLogger } from '../../src/logger.ts';
import type { Database } from '../../src/store/database.ts';
import { createSlaTimers } from '../../src/store/sla-timers.ts';
import { backends } from '../helpers/backends.ts';
import { manualClock, seedTicket, ticketClock, type ManualClock, type SeedTicket } from '../helpers/sla-fixtures.ts';
import { createTemplateRenderer } from '../../src/channels/email/templates.ts';
import { storeAccess } from '../../src/store/transactor.ts';
import { createOutboxRepository } from '../../src/store/outbox-repository.ts';

const logger = createSilentLogger();
const policy = defaultPolicy();
const slaTimers = createSlaTimers(policy);
const config = { SUPPORT_ADDRESS: 'support@vendor.example', SUPPORT_NAME: 'Vendor Support' };
const openedAt = '2026-11-02T15:00:00Z';

interface RuleCase {
  rule: string;
  seed?: Partial<SeedTicket>;
  input: Omit<CloseTicketInput, 'requestId' | 'actor'>;
  chargeable: boolean;
  chargeReason: string;
  /** Words the customer's closure mail must contain. */
  mail: string | RegExp;
}

// Intl puts a no-break space between the code and the amount.
const charged = /USD\s80\.00, taxes excluded/;
const ruleCases: RuleCase[] = [
  { rule: 'resolved is charged the locked price', input: { outcome: 'resolved' }, chargeable: true, chargeReason: 'resolved', mail: charged },
  { rule: 'documentation is charged like resolved', input: { outcome: 'documentation' }, chargeable: true, chargeReason: 'documentation', mail: charged },
  {
    rule: 'excluded is charged and names the exclusion',
    input: { outcome: 'excluded', exclusion: 'third-party' },
    chargeable: true,
    chargeReason: 'excluded',
    mail: 'The cause lies outside what technical support covers. The problem lies in a third-party product used together with ours',
  },
  { rule: 'a known bug is free', input: { outcome: 'bug' }, chargeable: false, chargeReason: 'bug', mail: 'defect in our product' },
  { rule: 'an RMA is free', input: { outcome: 'rma' }, chargeable: false, chargeReason: 'rma', mail: 'hardware replacement (RMA)' },
  { rule: 'a duplicate is free', input: { outcome: 'duplicate' }, chargeable: false, chargeReason: 'duplicate', mail: 'duplicates another request' },
  {
    rule: 'exceptional with charge is charged',
    input: { outcome: 'exceptional', charge: 'charge', reason: 'customer declined the fix' },
    chargeable: true,
    chargeReason: 'exceptional-charged',
    mail: charged,
  },
  {
    rule: 'exceptional with no-charge is free',
    input: { outcome: 'exceptional', charge: 'no-charge', reason: 'lab could not reproduce' },
    chargeable: false,
    chargeReason: 'exceptional-free',
    mail: 'exceptional case without a fee',
  },
  {
    rule: 'partners are free whatever the outcome',
    seed: { partner: { partnerId: 'P-100', name: 'Reseller GmbH' } },
    input: { outcome: 'resolved' },
    chargeable: false,
    chargeReason: 'partner',
    mail: 'free for our partners',
  },
  {
    rule: 'a directory customer marked partner: true is free (Kerio FAQ)',
    seed: { customer: { key: 'acme', name: 'Acme Corp', isPartner: true } },
    input: { outcome: 'resolved' },
    chargeable: false,
    chargeReason: 'partner',
    mail: 'free for our partners',
  },
  {
    rule: 'a request marked pre-sales is free (Kerio FAQ)',
    seed: { preSales: true },
    input: { outcome: 'resolved' },
    chargeable: false,
    chargeReason: 'pre-sales',
    mail: 'pre-sales questions',
  },
  {
    rule: 'trial licences are free',
    seed: { licence: { number: 'TRIAL-1', type: 'trial', registeredOn: '2026-10-01' } },
    input: { outcome: 'resolved' },
    chargeable: false,
    chargeReason: 'trial-licence',
    mail: 'registered trial licences',
  },
  {
    rule: 'day 89 after registering a purchased licence is the last day of the installation period (Kerio 2.2a)',
    seed: { licence: { number: 'COM-1', type: 'commercial', registeredOn: '2026-08-05' } },
    input: { outcome: 'excluded', exclusion: 'misuse' },
    chargeable: false,
    chargeReason: 'installation-period',
    mail: 'installation period',
  },
  {
    rule: 'day 90 after registration is charged (Kerio 2.2a)',
    seed: { licence: { number: 'COM-2', type: 'commercial', registeredOn: '2026-08-04' } },
    input: { outcome: 'resolved' },
    chargeable: true,
    chargeReason: 'resolved',
    mail: charged,
  },
  {
    rule: 'an override waives a payable outcome',
    input: { outcome: 'resolved', charge: 'no-charge', reason: 'goodwill after outage' },
    chargeable: false,
    chargeReason: 'override-free',
    mail: 'waived the fee',
  },
  {
    rule: 'an override charges a free outcome',
    input: { outcome: 'bug', charge: 'charge', reason: 'customer misconfiguration, not a bug' },
    chargeable: true,
    chargeReason: 'override-charged',
    mail: charged,
  },
];

describe.each(backends)('closeTicket on $name', (backend) => {
  let database: Database;
  let dispose: () => Promise<void>;
  let clock: ManualClock;
  let deps: CloseTicketDeps;
  let sequence = 0;

  beforeAll(async () => {
    if (!backend.available) return;
    const opened = await backend.open();
    database = opened.database;
    dispose = opened.dispose;
  });
  afterAll(async () => {
    if (backend.available) await dispose();
  });
  beforeEach(async () => {
    if (!backend.available) return;
    await database.prisma.$executeRawUnsafe('TRUNCATE "Ticket", "Customer", "Partner", "Licence", "Outbox" RESTART IDENTITY CASCADE');
    clock = manualClock('2026-11-05T14:00:00Z');
    deps = { ...storeAccess(database, policy), policy, clock, logger, config, renderer: createTemplateRenderer() };
  });

  const test = it.skipIf(!backend.available);

  async function newTicket(seed: Partial<SeedTicket> = {}): Promise<{ id: number; requestId: string }> {
    sequence += 1;
    const requestId = `SR-2026-${String(sequence).padStart(6, '0')}`;
    const id = await seedTicket(database.prisma, policy, { requestId, openedAt, severity: 3, ...seed });
    return { id, requestId };
  }

  async function outbox(ticketId: number) {
    return database.prisma.outbox.findMany({ where: { ticketId }, orderBy: { id: 'asc' } });
  }

  /** Simulates the Slack engineer's reopen: status back to open and the SLA clock running again. */
  async function reopen(ticketId: number) {
    const clockTicket = await ticketClock(database.prisma, ticketId);
    await database.prisma.$transaction(async (tx) => {
      await tx.ticket.update({ where: { id: ticketId }, data: { status: 'open', closedAt: null, closedBy: null } });
      await slaTimers.reopen(tx, clockTicket, clock.now());
    });
  }

  test.each(ruleCases)('$rule', async ({ seed, input, chargeable, chargeReason, mail }) => {
    const ticket = await newTicket(seed);
    const result = await closeTicket(deps, { requestId: ticket.requestId, actor: 'U_ENG', ...input });
    expect(result).toMatchObject({
      requestId: ticket.requestId,
      alreadyClosed: false,
      chargeable,
      amountMinor: chargeable ? 8000 : 0,
      currency: 'USD',
      chargeReason,
    });
    expect(result.explanation.length).toBeGreaterThan(10);

    const row = await database.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id }, include: { charge: true } });
    expect(row).toMatchObject({ status: 'closed', closedBy: 'U_ENG', outcome: input.outcome, exclusion: input.exclusion ?? null });
    expect(row.closedAt).toEqual(clock.now());
    expect(row.chargeDecision).toMatchObject({ chargeable, reason: chargeReason, closeCycle: 1, chargeCreated: chargeable });
    expect(
      row.charge === null
        ? null
        : { amountMinor: row.charge.amountMinor, currency: row.charge.currency, reason: row.charge.reason, decidedBy: row.charge.decidedBy },
    ).toEqual(chargeable ? { amountMinor: 8000, currency: 'USD', reason: chargeReason, decidedBy: 'U_ENG' } : null);
    expect(await database.prisma.slaTimer.count({ where: { ticketId: ticket.id, OR: [{ metAt: null }, { NOT: { nextEventAt: null } }] } })).toBe(0);
    const events = await database.prisma.ticketEvent.findMany({ where: { ticketId: ticket.id }, orderBy: { id: 'asc' } });
    expect(events.map((event) => event.type)).toEqual(
      input.charge && input.outcome !== 'exceptional' ? ['closed', 'charge-override', 'charge'] : ['closed', 'charge'],
    );

    const rows = await outbox(ticket.id);
    expect(rows.map((item) => [item.idempotencyKey, item.channel, item.kind, item.status])).toEqual([
      [`closure:${ticket.requestId}:1`, 'email', 'closure', 'pending'],
      [`charge-notice:${ticket.requestId}`, 'slack', 'charge-notice', 'pending'],
    ]);
    const closure = rows[0]!.payload as { to: Array<{ address: string }>; subject: string; text: string; html: string; inReplyTo?: string; messageId: string };
    expect(closure.to).toEqual([{ address: 'jane@acme.example', name: 'Jane Doe' }]);
    expect(closure.subject).toBe(`Closed: Gateway drops VPN tunnels [${ticket.requestId}]`);
    expect(closure.inReplyTo).toBe(`<root-${ticket.requestId}@acme.example>`);
    expect(closure.text).toMatch(mail);
    if (chargeable) expect(closure.text).toContain(paymentInstructionsIn(policy.billing.paymentInstructions, 'en'));
    else expect(closure.text).toContain('No fee applies');
    expect(await database.prisma.messageRef.count({ where: { messageId: closure.messageId, ticketId: ticket.id, direction: 'out' } })).toBe(1);
    expect(rows[1]!.payload).toEqual({
      ticketId: ticket.id,
      requestId: ticket.requestId,
      customer: seed?.partner ? 'Reseller GmbH' : 'Acme Corp',
      licence: seed?.licence?.number ?? null,
      amountMinor: chargeable ? 8000 : 0,
      currency: 'USD',
      chargeable,
      reason: chargeReason,
      explanation: result.explanation,
      outcome: input.outcome,
      closedBy: 'U_ENG',
    });
  });

  test('an override is recorded with the rule it overrode', async () => {
    const ticket = await newTicket();
    await closeTicket(deps, { requestId: ticket.requestId, actor: 'U_LEAD', outcome: 'resolved', charge: 'no-charge', reason: 'goodwill after outage' });
    const event = await database.prisma.ticketEvent.findFirstOrThrow({ where: { ticketId: ticket.id, type: 'charge-override' } });
    expect(event).toMatchObject({ actor: 'U_LEAD', detail: { chargeable: false, reason: 'goodwill after outage', ruleReason: 'resolved', applied: true } });
  });

  test.each([
    ['excluded without an exclusion', { outcome: 'excluded' }],
    ['exceptional without a reason', { outcome: 'exceptional', charge: 'charge' }],
    ['exceptional without the charge decision', { outcome: 'exceptional', reason: 'cannot reproduce' }],
    ['an override without a reason', { outcome: 'resolved', charge: 'no-charge', reason: '  ' }],
    ['an exclusion on a resolved closure', { outcome: 'resolved', exclusion: 'misuse' }],
    ['an unknown outcome', { outcome: 'fixed' }],
  ] as const)('refuses %s and commits nothing', async (_name, input) => {
    const ticket = await newTicket();
    const error = await closeTicket(deps, { requestId: ticket.requestId, actor: 'U_ENG', ...(input as object) } as CloseTicketInput).catch(
      (caught: unknown) => caught,
    );
    expect(isDeskbotError(error, 'INVALID_STATE')).toBe(true);
    expect(await database.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).toMatchObject({
      status: 'open',
      closedAt: null,
      chargeDecision: null,
    });
    expect(await database.prisma.outbox.count()).toBe(0);
  });

  test('an unknown request is NOT_FOUND', async () => {
    const error = await closeTicket(deps, { requestId: 'SR-2026-999999', actor: 'U_ENG', outcome: 'resolved' }).catch((caught: unknown) => caught);
    expect(isDeskbotError(error, 'NOT_FOUND')).toBe(true);
  });

  test('a double click closes once: one closure mail, one charge, one notice', async () => {
    const ticket = await newTicket();
    const committed: string[] = [];
    const results = await Promise.all(
      [1, 2, 3].map(() =>
        closeTicket(
          { ...deps, onCommitted: () => void committed.push(ticket.requestId) },
          { requestId: ticket.requestId, actor: 'U_ENG', outcome: 'resolved' },
        ),
      ),
    );
    expect(results.filter((result) => !result.alreadyClosed)).toHaveLength(1);
    expect(results.filter((result) => result.alreadyClosed)).toHaveLength(2);
    for (const result of results) expect(result).toMatchObject({ chargeable: true, amountMinor: 8000, currency: 'USD', chargeReason: 'resolved' });
    expect(committed).toEqual([ticket.requestId]);
    expect((await outbox(ticket.id)).map((item) => item.idempotencyKey)).toEqual([`closure:${ticket.requestId}:1`, `charge-notice:${ticket.requestId}`]);
    expect(await database.prisma.charge.count()).toBe(1);
    expect(await database.prisma.ticketEvent.count({ where: { ticketId: ticket.id, type: 'closed' } })).toBe(1);
  });

  test('dying between the decision and the notice leaves nothing behind; the retry closes once', async () => {
    const ticket = await newTicket();
    // The billing notice is the last write of the close: failing it stands for a crash after the charge is decided.
    await database.prisma.$executeRawUnsafe(`CREATE FUNCTION crash_on_notice() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW."kind" = 'charge-notice' THEN RAISE EXCEPTION 'simulated crash'; END IF; RETURN NEW; END $$`);
    await database.prisma.$executeRawUnsafe('CREATE TRIGGER crash_on_notice BEFORE INSERT ON "Outbox" FOR EACH ROW EXECUTE FUNCTION crash_on_notice()');
    try {
      await expect(closeTicket(deps, { requestId: ticket.requestId, actor: 'U_ENG', outcome: 'resolved' })).rejects.toThrow(/simulated crash/);
    } finally {
      await database.prisma.$executeRawUnsafe('DROP TRIGGER crash_on_notice ON "Outbox"');
      await database.prisma.$executeRawUnsafe('DROP FUNCTION crash_on_notice()');
    }
    expect(await database.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).toMatchObject({
      status: 'open',
      closedAt: null,
      chargeDecision: null,
    });
    expect(await database.prisma.charge.count()).toBe(0);
    expect(await database.prisma.outbox.count()).toBe(0);
    expect(await database.prisma.ticketEvent.count({ where: { ticketId: ticket.id } })).toBe(0);
    expect(await database.prisma.slaTimer.count({ where: { ticketId: ticket.id, metAt: null } })).toBeGreaterThan(0);

    const result = await closeTicket(deps, { requestId: ticket.requestId, actor: 'U_ENG', outcome: 'resolved' });
    expect(result).toMatchObject({ alreadyClosed: false, chargeable: true });
    expect((await outbox(ticket.id)).map((item) => item.idempotencyKey)).toEqual([`closure:${ticket.requestId}:1`, `charge-notice:${ticket.requestId}`]);
  });

  test('a dispatcher killed before delivery leaves the notices pending; the next one delivers each exactly once', async () => {
    const ticket = await newTicket();
    await closeTicket(deps, { requestId: ticket.requestId, actor: 'U_ENG', outcome: 'resolved' });
    // The first dispatcher claims both rows and hangs (the process dies mid-delivery; its promises never settle).
    const hanging: OutboxHandler = { deliver: () => new Promise<void>(() => undefined) };
    const first = createOutboxDispatcher({
      outbox: createOutboxRepository(database.prisma),
      logger,
      clock,
      handlers: { email: hanging, slack: hanging },
      pollIntervalMs: 60_000,
      leaseMs: 60_000,
    });
    void first.drain();
    await expect.poll(() => database.prisma.outbox.count({ where: { NOT: { lockedUntil: null } } })).toBe(2);
    expect(await database.prisma.outbox.count({ where: { status: 'pending' } })).toBe(2);

    // A new process after the lease ran out.
    clock.advance(61_000);
    const delivered: OutboxItem[] = [];
    const recording: OutboxHandler = { deliver: async (item) => void delivered.push(item) };
    const second = createOutboxDispatcher({
      outbox: createOutboxRepository(database.prisma),
      logger,
      clock,
      handlers: { email: recording, slack: recording },
      pollIntervalMs: 60_000,
    });
    await second.drain();
    await second.drain();
    expect(delivered.map((item) => item.kind).sort()).toEqual(['charge-notice', 'closure']);
    expect(await database.prisma.outbox.count({ where: { status: 'sent' } })).toBe(2);
    await second.stop();
  });

  test('reopen + close never charges twice', async () => {
    const ticket = await newTicket();
    const first = await closeTicket(deps, { requestId: ticket.requestId, actor: 'U_ENG', outcome: 'resolved' });
    expect(first).toMatchObject({ chargeable: true, amountMinor: 8000 });
    clock.advance(86_400_000);
    await reopen(ticket.id);
    expect(await database.prisma.slaTimer.count({ where: { ticketId: ticket.id, metAt: null } })).toBeGreaterThan(0);
    clock.advance(3_600_000);
    const second = await closeTicket(deps, { requestId: ticket.requestId, actor: 'U_ENG', outcome: 'documentation' });
    expect(second).toMatchObject({ alreadyClosed: false, chargeable: false, amountMinor: 0, chargeReason: 'already-charged' });
    expect(second.explanation).toContain('the fee of $80.00 for this incident was already charged when it was closed on 2026-11-05');
    // Even an explicit override cannot charge the incident again.
    clock.advance(3_600_000);
    await reopen(ticket.id);
    const third = await closeTicket(deps, { requestId: ticket.requestId, actor: 'U_LEAD', outcome: 'resolved', charge: 'charge', reason: 'second problem' });
    expect(third).toMatchObject({ chargeable: false, chargeReason: 'already-charged' });

    expect(await database.prisma.charge.count({ where: { ticketId: ticket.id } })).toBe(1);
    const keys = (await outbox(ticket.id)).map((item) => item.idempotencyKey);
    // Billing hears of the first close only; each re-close still puts its close line in the ticket's thread.
    const closeLines = (await database.prisma.ticketEvent.findMany({ where: { ticketId: ticket.id, type: 'charge' }, orderBy: { id: 'asc' } })).map(
      (event) => `slack:ticket-event:${event.id}`,
    );
    expect(keys).toEqual([
      `closure:${ticket.requestId}:1`,
      `charge-notice:${ticket.requestId}`,
      // The close's thread post is queued with its event, before the closure mail.
      closeLines[1],
      `closure:${ticket.requestId}:2`,
      closeLines[2],
      `closure:${ticket.requestId}:3`,
    ]);
    const secondMail = (await database.prisma.outbox.findUniqueOrThrow({ where: { idempotencyKey: `closure:${ticket.requestId}:2` } })).payload as {
      text: string;
    };
    expect(secondMail.text).toContain('its fee was charged at an earlier close');
    expect(await database.prisma.ticketEvent.findFirstOrThrow({ where: { ticketId: ticket.id, type: 'charge-override' } })).toMatchObject({
      detail: { applied: false },
    });
  });

  test('an override reason and the engineer never reach the customer: close with override, reopen, close again', async () => {
    const ticket = await newTicket();
    const secret = 'internal: customer is strategic, ask U_BOSS';
    const first = await closeTicket(deps, { requestId: ticket.requestId, actor: 'U_LEAD42', outcome: 'resolved', charge: 'no-charge', reason: secret });
    expect(first).toMatchObject({ chargeable: false, chargeReason: 'override-free' });
    expect(first.explanation).toContain(secret);
    clock.advance(86_400_000);
    await reopen(ticket.id);
    const second = await closeTicket(deps, { requestId: ticket.requestId, actor: 'U_ENG7', outcome: 'resolved' });
    expect(second).toMatchObject({ chargeable: false, chargeReason: 'previously-free' });
    // The internal explanation keeps the reason for Slack, billing and the export.
    expect(second.explanation).toContain('customer is strategic');
    const rows = await outbox(ticket.id);
    const mails = rows.filter((row) => row.channel === 'email').map((row) => row.payload as { text: string; html: string });
    expect(mails).toHaveLength(2);
    for (const mail of mails) {
      for (const leak of ['strategic', 'U_BOSS', 'U_LEAD42', 'U_ENG7']) {
        expect(mail.text).not.toContain(leak);
        expect(mail.html).not.toContain(leak);
      }
    }
    expect(mails[0]!.text).toContain('we have waived the fee');
    expect(mails[1]!.text).toContain('it was closed before without a fee');
    const notice = rows.find((row) => row.kind === 'charge-notice')!.payload as { explanation: string };
    expect(notice.explanation).toContain(secret);
  });

  test('a close asked for in an earlier close cycle is refused after a reopen, and nothing is sent', async () => {
    const ticket = await newTicket();
    await closeTicket(deps, { requestId: ticket.requestId, actor: 'U_ENG', outcome: 'bug', expectedCloses: 0 });
    clock.advance(3_600_000);
    await reopen(ticket.id);
    const before = (await outbox(ticket.id)).length;
    // The same close form submitted again (it was opened when the ticket had no close yet).
    const stale = await closeTicket(deps, { requestId: ticket.requestId, actor: 'U_ENG', outcome: 'bug', expectedCloses: 0 }).catch((error: unknown) => error);
    expect(isDeskbotError(stale, 'INVALID_STATE')).toBe(true);
    expect((stale as Error).message).toMatch(/closed and reopened since/);
    expect(await database.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).toMatchObject({ status: 'open', closedAt: null });
    expect((await outbox(ticket.id)).length).toBe(before);
    expect(await database.prisma.ticketEvent.count({ where: { ticketId: ticket.id, type: 'closed' } })).toBe(1);
    // A form of the current cycle closes.
    expect(await closeTicket(deps, { requestId: ticket.requestId, actor: 'U_ENG', outcome: 'bug', expectedCloses: 1 })).toMatchObject({ alreadyClosed: false });
    expect(await database.prisma.ticketEvent.count({ where: { ticketId: ticket.id, type: 'closed' } })).toBe(2);
  });

  test('a free incident stays free on a re-close unless the engineer charges it explicitly', async () => {
    const ticket = await newTicket();
    expect(await closeTicket(deps, { requestId: ticket.requestId, actor: 'U_ENG', outcome: 'bug' })).toMatchObject({ chargeable: false, chargeReason: 'bug' });
    clock.advance(86_400_000);
    await reopen(ticket.id);
    const second = await closeTicket(deps, { requestId: ticket.requestId, actor: 'U_ENG', outcome: 'resolved' });
    expect(second).toMatchObject({ chargeable: false, chargeReason: 'previously-free' });
    expect(second.explanation).toContain('closed without a fee on 2026-11-05');
    expect(await database.prisma.charge.count()).toBe(0);

    clock.advance(86_400_000);
    await reopen(ticket.id);
    const third = await closeTicket(deps, {
      requestId: ticket.requestId,
      actor: 'U_LEAD',
      outcome: 'resolved',
      charge: 'charge',
      reason: 'not a bug after all: misconfiguration',
    });
    expect(third).toMatchObject({ chargeable: true, amountMinor: 8000, chargeReason: 'override-charged' });
    expect(await database.prisma.charge.count()).toBe(1);
    const keys = (await outbox(ticket.id)).map((item) => item.idempotencyKey);
    const secondClose = (await database.prisma.ticketEvent.findMany({ where: { ticketId: ticket.id, type: 'charge' }, orderBy: { id: 'asc' } }))[1]!;
    expect(keys).toEqual([
      `closure:${ticket.requestId}:1`,
      `charge-notice:${ticket.requestId}`,
      `slack:ticket-event:${secondClose.id}`,
      `closure:${ticket.requestId}:2`,
      `closure:${ticket.requestId}:3`,
      `charge-notice:${ticket.requestId}:charged`,
    ]);
  });
});
