-- DropIndex
DROP INDEX "InboundMessage_outcome_idx";

-- AlterTable
ALTER TABLE "Ticket" ADD COLUMN     "needsInfoRemindAt" TIMESTAMPTZ(3),
ADD COLUMN     "openedBy" TEXT,
ADD COLUMN     "source" TEXT NOT NULL DEFAULT 'email';

-- AlterTable
ALTER TABLE "InboundMessage" ADD COLUMN     "previousOutcome" TEXT,
ADD COLUMN     "previousReason" TEXT,
ADD COLUMN     "raw" BYTEA,
ADD COLUMN     "retriedAt" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "Ticket_needsInfoRemindAt_idx" ON "Ticket"("needsInfoRemindAt");

-- CreateIndex
CREATE INDEX "InboundMessage_outcome_receivedAt_idx" ON "InboundMessage"("outcome", "receivedAt");

