-- CreateTable
CREATE TABLE "InboundQueue" (
    "id" BIGSERIAL NOT NULL,
    "mailbox" TEXT NOT NULL,
    "uidValidity" BIGINT NOT NULL,
    "uid" BIGINT NOT NULL,
    "messageId" TEXT,
    "sender" TEXT,
    "answers" TEXT[],
    "size" INTEGER NOT NULL,
    "oversized" BOOLEAN NOT NULL DEFAULT false,
    "raw" BYTEA NOT NULL,
    "receivedAt" TIMESTAMPTZ(3),
    "storedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "availableAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "claimedBy" TEXT,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,

    CONSTRAINT "InboundQueue_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "InboundQueue_sender_idx" ON "InboundQueue"("sender");

-- CreateIndex
CREATE INDEX "InboundQueue_messageId_idx" ON "InboundQueue"("messageId");

-- CreateIndex
CREATE INDEX "InboundQueue_availableAt_idx" ON "InboundQueue"("availableAt");

-- CreateIndex
CREATE UNIQUE INDEX "InboundQueue_mailbox_uidValidity_uid_key" ON "InboundQueue"("mailbox", "uidValidity", "uid");

