-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "Customer" (
    "id" SERIAL NOT NULL,
    "key" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "supportLevel" TEXT NOT NULL,
    "calendar" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "isPartner" BOOLEAN NOT NULL DEFAULT false,
    "locale" TEXT NOT NULL DEFAULT 'en',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Customer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EligibleCaller" (
    "id" SERIAL NOT NULL,
    "customerId" INTEGER NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "phone" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "EligibleCaller_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Partner" (
    "id" SERIAL NOT NULL,
    "partnerId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "contacts" TEXT[],
    "currency" TEXT NOT NULL DEFAULT 'USD',
    "locale" TEXT NOT NULL DEFAULT 'en',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Partner_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Licence" (
    "id" SERIAL NOT NULL,
    "number" TEXT NOT NULL,
    "product" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "registeredOn" DATE NOT NULL,
    "trialEndsOn" DATE,
    "maintenanceUntil" DATE,
    "customerId" INTEGER NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Licence_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RequestCounter" (
    "year" INTEGER NOT NULL,
    "last" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "RequestCounter_pkey" PRIMARY KEY ("year")
);

-- CreateTable
CREATE TABLE "Ticket" (
    "id" SERIAL NOT NULL,
    "requestId" TEXT NOT NULL,
    "customerId" INTEGER,
    "partnerId" INTEGER,
    "licenceId" INTEGER,
    "requesterKind" TEXT NOT NULL,
    "requesterEmail" TEXT NOT NULL,
    "requesterName" TEXT,
    "subject" TEXT NOT NULL,
    "summary" TEXT NOT NULL DEFAULT '',
    "severity" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'new',
    "product" TEXT,
    "productVersion" TEXT,
    "missingInfo" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "calendar" TEXT NOT NULL,
    "supportLevel" TEXT NOT NULL,
    "locale" TEXT NOT NULL DEFAULT 'en',
    "openedAt" TIMESTAMPTZ(3) NOT NULL,
    "clockStartedAt" TIMESTAMPTZ(3),
    "pausedAt" TIMESTAMPTZ(3),
    "firstResponseAt" TIMESTAMPTZ(3),
    "lastEngineerUpdateAt" TIMESTAMPTZ(3),
    "assigneeSlackId" TEXT,
    "priceMinor" INTEGER NOT NULL,
    "priceCurrency" TEXT NOT NULL,
    "outcome" TEXT,
    "exclusion" TEXT,
    "closedAt" TIMESTAMPTZ(3),
    "closedBy" TEXT,
    "chargeDecision" JSONB,
    "breached" BOOLEAN NOT NULL DEFAULT false,
    "needsPostMortem" BOOLEAN NOT NULL DEFAULT false,
    "rootMessageId" TEXT,
    "slackChannel" TEXT,
    "slackTs" TEXT,
    "splitFromId" INTEGER,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Ticket_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TicketEvent" (
    "id" BIGSERIAL NOT NULL,
    "ticketId" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "actor" TEXT,
    "detail" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "TicketEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SlaTimer" (
    "id" SERIAL NOT NULL,
    "ticketId" INTEGER NOT NULL,
    "target" TEXT NOT NULL,
    "cycle" INTEGER NOT NULL DEFAULT 1,
    "budgetMs" BIGINT NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "warnAt" TIMESTAMPTZ(3),
    "dueAt" TIMESTAMPTZ(3),
    "remainingMs" BIGINT,
    "warnedAt" TIMESTAMPTZ(3),
    "breachedAt" TIMESTAMPTZ(3),
    "metAt" TIMESTAMPTZ(3),
    "nextEventAt" TIMESTAMPTZ(3),

    CONSTRAINT "SlaTimer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Charge" (
    "id" SERIAL NOT NULL,
    "ticketId" INTEGER NOT NULL,
    "amountMinor" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "decidedAt" TIMESTAMPTZ(3) NOT NULL,
    "decidedBy" TEXT,

    CONSTRAINT "Charge_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "InboundMessage" (
    "id" SERIAL NOT NULL,
    "messageId" TEXT NOT NULL,
    "rawSize" INTEGER NOT NULL,
    "mailbox" TEXT,
    "uidValidity" BIGINT,
    "uid" BIGINT,
    "source" TEXT NOT NULL DEFAULT 'imap',
    "fromAddress" TEXT,
    "subject" TEXT,
    "receivedAt" TIMESTAMPTZ(3) NOT NULL,
    "outcome" TEXT NOT NULL,
    "reason" TEXT,
    "ticketId" INTEGER,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "InboundMessage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "QuarantinedMessage" (
    "id" SERIAL NOT NULL,
    "messageId" TEXT,
    "reason" TEXT NOT NULL,
    "rawSize" INTEGER NOT NULL,
    "raw" BYTEA,
    "rawPath" TEXT,
    "receivedAt" TIMESTAMPTZ(3) NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'held',
    "retriedAt" TIMESTAMPTZ(3),

    CONSTRAINT "QuarantinedMessage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MessageRef" (
    "messageId" TEXT NOT NULL,
    "ticketId" INTEGER NOT NULL,
    "direction" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "MessageRef_pkey" PRIMARY KEY ("messageId")
);

-- CreateTable
CREATE TABLE "MailboxState" (
    "mailbox" TEXT NOT NULL,
    "uidValidity" BIGINT NOT NULL,
    "lastUid" BIGINT NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "MailboxState_pkey" PRIMARY KEY ("mailbox")
);

-- CreateTable
CREATE TABLE "AutoMailLog" (
    "id" BIGSERIAL NOT NULL,
    "address" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "sentAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "AutoMailLog_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Outbox" (
    "id" BIGSERIAL NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "ticketId" INTEGER,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMPTZ(3) NOT NULL,
    "lockedUntil" TIMESTAMPTZ(3),
    "lastError" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMPTZ(3),

    CONSTRAINT "Outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SlackDelivery" (
    "id" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "SlackDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Customer_key_key" ON "Customer"("key");

-- CreateIndex
CREATE INDEX "EligibleCaller_email_idx" ON "EligibleCaller"("email");

-- CreateIndex
CREATE UNIQUE INDEX "EligibleCaller_customerId_email_key" ON "EligibleCaller"("customerId", "email");

-- CreateIndex
CREATE UNIQUE INDEX "Partner_partnerId_key" ON "Partner"("partnerId");

-- CreateIndex
CREATE UNIQUE INDEX "Licence_number_key" ON "Licence"("number");

-- CreateIndex
CREATE INDEX "Licence_customerId_idx" ON "Licence"("customerId");

-- CreateIndex
CREATE UNIQUE INDEX "Ticket_requestId_key" ON "Ticket"("requestId");

-- CreateIndex
CREATE INDEX "Ticket_status_idx" ON "Ticket"("status");

-- CreateIndex
CREATE INDEX "Ticket_customerId_status_idx" ON "Ticket"("customerId", "status");

-- CreateIndex
CREATE INDEX "Ticket_assigneeSlackId_status_idx" ON "Ticket"("assigneeSlackId", "status");

-- CreateIndex
CREATE INDEX "Ticket_requesterEmail_idx" ON "Ticket"("requesterEmail");

-- CreateIndex
CREATE INDEX "Ticket_closedAt_idx" ON "Ticket"("closedAt");

-- CreateIndex
CREATE INDEX "TicketEvent_ticketId_at_idx" ON "TicketEvent"("ticketId", "at");

-- CreateIndex
CREATE INDEX "TicketEvent_type_at_idx" ON "TicketEvent"("type", "at");

-- CreateIndex
CREATE INDEX "SlaTimer_nextEventAt_idx" ON "SlaTimer"("nextEventAt");

-- CreateIndex
CREATE UNIQUE INDEX "SlaTimer_ticketId_target_cycle_key" ON "SlaTimer"("ticketId", "target", "cycle");

-- CreateIndex
CREATE UNIQUE INDEX "Charge_ticketId_key" ON "Charge"("ticketId");

-- CreateIndex
CREATE UNIQUE INDEX "InboundMessage_messageId_key" ON "InboundMessage"("messageId");

-- CreateIndex
CREATE INDEX "InboundMessage_mailbox_uidValidity_uid_idx" ON "InboundMessage"("mailbox", "uidValidity", "uid");

-- CreateIndex
CREATE INDEX "InboundMessage_outcome_idx" ON "InboundMessage"("outcome");

-- CreateIndex
CREATE INDEX "InboundMessage_ticketId_idx" ON "InboundMessage"("ticketId");

-- CreateIndex
CREATE INDEX "QuarantinedMessage_status_idx" ON "QuarantinedMessage"("status");

-- CreateIndex
CREATE INDEX "MessageRef_ticketId_idx" ON "MessageRef"("ticketId");

-- CreateIndex
CREATE INDEX "AutoMailLog_address_sentAt_idx" ON "AutoMailLog"("address", "sentAt");

-- CreateIndex
CREATE UNIQUE INDEX "Outbox_idempotencyKey_key" ON "Outbox"("idempotencyKey");

-- CreateIndex
CREATE INDEX "Outbox_status_nextAttemptAt_idx" ON "Outbox"("status", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "Outbox_ticketId_idx" ON "Outbox"("ticketId");

-- CreateIndex
CREATE INDEX "SlackDelivery_at_idx" ON "SlackDelivery"("at");

-- AddForeignKey
ALTER TABLE "EligibleCaller" ADD CONSTRAINT "EligibleCaller_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Licence" ADD CONSTRAINT "Licence_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_customerId_fkey" FOREIGN KEY ("customerId") REFERENCES "Customer"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_partnerId_fkey" FOREIGN KEY ("partnerId") REFERENCES "Partner"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_licenceId_fkey" FOREIGN KEY ("licenceId") REFERENCES "Licence"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_splitFromId_fkey" FOREIGN KEY ("splitFromId") REFERENCES "Ticket"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TicketEvent" ADD CONSTRAINT "TicketEvent_ticketId_fkey" FOREIGN KEY ("ticketId") REFERENCES "Ticket"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SlaTimer" ADD CONSTRAINT "SlaTimer_ticketId_fkey" FOREIGN KEY ("ticketId") REFERENCES "Ticket"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Charge" ADD CONSTRAINT "Charge_ticketId_fkey" FOREIGN KEY ("ticketId") REFERENCES "Ticket"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MessageRef" ADD CONSTRAINT "MessageRef_ticketId_fkey" FOREIGN KEY ("ticketId") REFERENCES "Ticket"("id") ON DELETE CASCADE ON UPDATE CASCADE;

