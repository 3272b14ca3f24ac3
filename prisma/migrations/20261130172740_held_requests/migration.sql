-- CreateTable
CREATE TABLE "HeldRequest" (
    "id" SERIAL NOT NULL,
    "messageId" TEXT NOT NULL,
    "noticeMessageId" TEXT,
    "fromAddress" TEXT NOT NULL,
    "fromName" TEXT,
    "subject" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "displayText" TEXT NOT NULL,
    "truncated" BOOLEAN NOT NULL DEFAULT false,
    "severity" INTEGER,
    "severitySource" TEXT NOT NULL,
    "product" TEXT,
    "productVersion" TEXT,
    "summary" TEXT NOT NULL,
    "receivedAt" TIMESTAMPTZ(3) NOT NULL,
    "usedAt" TIMESTAMPTZ(3),
    "usedByMessageId" TEXT,

    CONSTRAINT "HeldRequest_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "HeldRequest_messageId_key" ON "HeldRequest"("messageId");

-- CreateIndex
CREATE UNIQUE INDEX "HeldRequest_noticeMessageId_key" ON "HeldRequest"("noticeMessageId");

-- CreateIndex
CREATE INDEX "HeldRequest_fromAddress_receivedAt_idx" ON "HeldRequest"("fromAddress", "receivedAt");

