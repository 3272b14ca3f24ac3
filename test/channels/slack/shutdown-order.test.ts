// Stopping serve with Slack posts waiting for their turn (Slack's one post per second per channel): the Slack
// service stops before the outbox dispatcher (serve stops in reverse start order), and the posts the dispatcher still
// holds must be finished or handed back unstarted, never failed because the rate limiter under them was gone (each such
// failure cost the row an attempt and a warning at every restart, and enough restarts would give the row up).
import nock from 'nock';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { enqueueOutboxRow } from '../../../src/store/outbox-repository.ts';
import { seedCustomer, seedTicket } from './seed.ts';
import { captureApi, startSlackHarness, triageChannel, type SlackHarness } from './harness.ts';

let harness: SlackHarness;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  harness = await startSlackHarness({ channel: { rateLimits: { postPerChannelMs: 150 } } });
});

afterAll(async () => {
  nock.cleanAll();
  await harness.close();
  nock.enableNetConnect();
});

it('hands back the Slack posts it holds at stop instead of failing them', async () => {
  const prisma = harness.database.prisma;
  const customer = await seedCustomer(prisma);
  for (let i = 0; i < 12; i++) {
    const ticket = await seedTicket(prisma, harness.policy, { customer, openedAt: harness.clock.now() });
    await enqueueOutboxRow(
      prisma,
      {
        idempotencyKey: `shutdown:${ticket.id}`,
        channel: 'slack',
        kind: 'ticket-opened',
        payload: { ticketId: ticket.id, requestId: ticket.requestId },
        ticketId: ticket.id,
      },
      harness.clock.now(),
    );
  }
  let ts = 0;
  const posts = captureApi('chat.postMessage', () => ({ ok: true, channel: triageChannel, ts: `1772445600.${String((ts += 1)).padStart(6, '0')}` }), 12);
  await harness.dispatcher.start();
  harness.dispatcher.kick();
  await expect.poll(() => posts.bodies.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
  // serve's order: the Slack service (its receiver, its post-ack work) first, then the dispatcher.
  await harness.channel.service.stop();
  await harness.dispatcher.stop();
  const rows = await prisma.outbox.findMany({ where: { channel: 'slack' }, orderBy: { id: 'asc' } });
  const sent = rows.filter((row) => row.status === 'sent');
  expect(sent.length).toBe(posts.bodies.length);
  expect(sent.length).toBeLessThan(12);
  for (const row of rows.filter((candidate) => candidate.status !== 'sent')) {
    expect(row).toMatchObject({ status: 'pending', attempts: 0, lastError: null, lockedUntil: null });
  }
});
