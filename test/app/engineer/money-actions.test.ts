// The engineer actions of issue 12 on PGlite and PostgreSQL: a workaround meets the resolution objective and keeps the
// request open, a phone agreement is recorded once per customer and starts the waiting clock, pre-sales is free,
// a post-mortem is recorded on a breached request only.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as actions from '../../../src/app/engineer/index.ts';
import { closeTicket } from '../../../src/app/close-ticket.ts';
import { createTemplateRenderer } from '../../../src/channels/email/templates.ts';
import { defaultPolicy } from '../../../src/domain/policy.ts';
import { isDeskbotError } from '../../../src/errors.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import type { Database } from '../../../src/store/database.ts';
import { storeAccess } from '../../../src/store/transactor.ts';
import { backends } from '../../helpers/backends.ts';
import { createTestClock } from '../../channels/slack/harness.ts';
import { seedCustomer, seedTicket, type SeededCustomer } from '../../channels/slack/seed.ts';

const policy = defaultPolicy();
const actor = { slackId: 'UENG00001', name: 'Eve Engineer' };

describe.each(backends)('issue 12 engineer actions on $name', (backend) => {
  let opened: Awaited<ReturnType<typeof backend.open>>;
  let database: Database;
  let customer: SeededCustomer;
  const clock = createTestClock(new Date('2026-03-02T10:00:00Z'));
  let deps: actions.EngineerActionDeps;

  beforeAll(async () => {
    if (!backend.available) return;
    opened = await backend.open();
    database = opened.database;
    customer = await seedCustomer(database.prisma);
    deps = {
      ...storeAccess(database, policy),
      policy,
      clock,
      config: { SUPPORT_ADDRESS: 'support@vendor.example', SUPPORT_NAME: 'Vendor Support' },
      renderer: createTemplateRenderer(),
    };
  });
  afterAll(async () => {
    if (backend.available) await opened.dispose();
  });
  beforeEach(async () => {
    if (backend.available)
      await database.prisma.customer.update({ where: { id: customer.id }, data: { agreedAt: null, agreedBy: null, agreementMessageId: null } });
  });

  const test = it.skipIf(!backend.available);
  const newTicket = (options: Partial<Parameters<typeof seedTicket>[2]> = {}) =>
    seedTicket(database.prisma, policy, { customer, openedAt: clock.now(), ...options });

  test('workaround mails the customer, meets the resolution objective and leaves the request open (Cryptzone §7)', async () => {
    const ticket = await newTicket({ severity: 4 });
    const result = await actions.workaround(deps, { requestId: ticket.requestId, text: 'Disable IPv6 on the tunnel until 9.4.3.', actor });
    expect(result.changed).toBe(true);
    const row = await database.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(row.status).toBe('open');
    const resolution = await database.prisma.slaTimer.findFirstOrThrow({ where: { ticketId: ticket.id, target: 'resolution' } });
    expect(resolution.metAt).toEqual(clock.now());
    const mail = await database.prisma.outbox.findFirstOrThrow({ where: { ticketId: ticket.id, channel: 'email' } });
    expect((mail.payload as { text: string }).text).toContain('Disable IPv6 on the tunnel');
    expect(await database.prisma.ticketEvent.findFirstOrThrow({ where: { ticketId: ticket.id, type: 'workaround' } })).toMatchObject({
      detail: { resolutionMet: true },
    });
  });

  test('agreed records a phone agreement once for the customer and starts the waiting clock (issue 12 point 9)', async () => {
    const ticket = await newTicket({ complete: false });
    await database.prisma.ticket.update({ where: { id: ticket.id }, data: { awaitingAgreement: true, missingInfo: [] } });
    const result = await actions.agreed(deps, { requestId: ticket.requestId, actor });
    expect(result).toMatchObject({ changed: true, clocksStarted: [ticket.requestId] });
    expect(await database.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).toMatchObject({
      status: 'open',
      awaitingAgreement: false,
      clockStartedAt: clock.now(),
    });
    expect(await database.prisma.customer.findUniqueOrThrow({ where: { id: customer.id } })).toMatchObject({
      agreedAt: clock.now(),
      agreedBy: 'UENG00001',
      agreementMessageId: null,
    });
    // The customer gets it in writing: the agreement by phone, and the targets that now run with their due times.
    const confirmations = async () => database.prisma.outbox.findMany({ where: { ticketId: ticket.id, channel: 'email', kind: 'request-update' } });
    const [confirmation, ...more] = await confirmations();
    expect(more).toHaveLength(0);
    const mail = confirmation!.payload as { text: string; subject: string; to: Array<{ address: string }> };
    expect(mail.to.map((to) => to.address)).toEqual(['jane@acme.example']);
    expect(mail.subject).toContain(`Request complete:`);
    expect(mail.text).toContain(`We have recorded your agreement to our support terms, which you gave us by phone, for service request ${ticket.requestId}.`);
    expect(mail.text).toMatch(/Initial response by /);
    expect(mail.text).not.toContain('Thank you for your answer');
    const events = await database.prisma.ticketEvent.findMany({ where: { ticketId: ticket.id, type: 'request-update' } });
    expect(events.map((event) => event.detail)).toEqual([expect.objectContaining({ byPhone: true, complete: true })]);
    const later = createTestClock(new Date('2026-03-03T10:00:00Z'));
    const again = await actions.agreed({ ...deps, clock: later }, { requestId: ticket.requestId, actor: { slackId: 'UOTHER001' } });
    expect(again.changed).toBe(false);
    expect(await confirmations()).toHaveLength(1);
    expect(await database.prisma.customer.findUniqueOrThrow({ where: { id: customer.id } })).toMatchObject({ agreedAt: clock.now(), agreedBy: 'UENG00001' });
  });

  test('presales marks the request free at close and releases a wait for the terms (Kerio FAQ)', async () => {
    const ticket = await newTicket({ complete: false });
    await database.prisma.ticket.update({ where: { id: ticket.id }, data: { awaitingAgreement: true, missingInfo: [] } });
    expect(await actions.markPreSales(deps, { requestId: ticket.requestId, actor })).toMatchObject({ changed: true, clockStarted: true });
    expect(await actions.markPreSales(deps, { requestId: ticket.requestId, actor })).toMatchObject({ changed: false });
    const closed = await closeTicket(
      {
        ...storeAccess(database, policy),
        policy,
        clock,
        logger: createSilentLogger(),
        config: { SUPPORT_ADDRESS: 'support@vendor.example', SUPPORT_NAME: 'Vendor Support' },
        renderer: createTemplateRenderer(),
      },
      { requestId: ticket.requestId, actor: 'UENG00001', outcome: 'resolved' },
    );
    expect(closed).toMatchObject({ chargeable: false, chargeReason: 'pre-sales' });
  });

  test('postmortem is recorded on a breached request and refused on one that missed nothing (Cryptzone §7)', async () => {
    const fine = await newTicket();
    const refused = await actions.recordPostMortem(deps, { requestId: fine.requestId, notes: 'n/a', actor }).catch((error: unknown) => error);
    expect(isDeskbotError(refused, 'INVALID_STATE')).toBe(true);
    const breached = await newTicket();
    await database.prisma.ticket.update({ where: { id: breached.id }, data: { breached: true, needsPostMortem: true } });
    await actions.recordPostMortem(deps, { requestId: breached.requestId, notes: 'Paged the wrong rota; fixed the schedule.', actor });
    expect(await database.prisma.ticket.findUniqueOrThrow({ where: { id: breached.id } })).toMatchObject({
      needsPostMortem: false,
      postMortemAt: clock.now(),
      postMortemBy: 'UENG00001',
      postMortemNotes: 'Paged the wrong rota; fixed the schedule.',
    });
  });
});
