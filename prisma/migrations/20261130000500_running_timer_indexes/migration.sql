-- Partial indexes over the running SLA timers (not met, not paused) that /support list and the SLA board read in
-- O(page) rather than O(open tickets): by due time for the urgency order, and by warning time plus the flagged ones
-- for "breaching". Written by hand: Prisma's schema language has no partial indexes, so they are absent from
-- schema.prisma and from prisma/migrations/schema.snapshot.prisma (a later `migrations:new` does not see or drop them).

-- CreateIndex
CREATE INDEX "SlaTimer_running_dueAt_idx" ON "SlaTimer"("dueAt", "ticketId") WHERE "metAt" IS NULL AND "remainingMs" IS NULL;

-- CreateIndex
CREATE INDEX "SlaTimer_running_warnAt_idx" ON "SlaTimer"("warnAt") WHERE "metAt" IS NULL AND "remainingMs" IS NULL;

-- CreateIndex
CREATE INDEX "SlaTimer_running_flagged_idx" ON "SlaTimer"("ticketId") WHERE "metAt" IS NULL AND "remainingMs" IS NULL AND ("warnedAt" IS NOT NULL OR "breachedAt" IS NOT NULL);
