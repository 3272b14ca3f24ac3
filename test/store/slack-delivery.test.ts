// Slack delivery ids are claimed once: a retried event, action or outbox step finds its id taken, on both back ends.
import { describe, expect, it } from 'vitest';
import { claimSlackDelivery, hasSlackDelivery, pruneSlackDeliveries } from '../../src/store/ticket-queries.ts';
import { backends } from '../helpers/backends.ts';

describe.each(backends)('Slack delivery claims on $name', (backend) => {
  it.skipIf(!backend.available)('claims an id the first time only, inside a transaction too, and prunes old ones', async () => {
    const opened = await backend.open();
    try {
      const { prisma } = opened.database;
      const at = new Date('2026-11-30T10:00:00.000Z');
      expect(await claimSlackDelivery(prisma, 'event:Ev1', at)).toBe(true);
      expect(await claimSlackDelivery(prisma, 'event:Ev1', new Date(at.getTime() + 1_000))).toBe(false);
      expect(await prisma.$transaction((tx) => claimSlackDelivery(tx, 'action:A1', at))).toBe(true);
      expect(await prisma.$transaction((tx) => claimSlackDelivery(tx, 'action:A1', at))).toBe(false);
      expect(await hasSlackDelivery(prisma, 'event:Ev1')).toBe(true);
      const stored = await prisma.slackDelivery.findUniqueOrThrow({ where: { id: 'event:Ev1' } });
      expect(stored.at.toISOString()).toBe(at.toISOString());
      expect(await pruneSlackDeliveries(prisma, new Date(at.getTime() + 1))).toBe(2);
      expect(await claimSlackDelivery(prisma, 'event:Ev1', at)).toBe(true);
    } finally {
      await opened.dispose();
    }
  });
});
