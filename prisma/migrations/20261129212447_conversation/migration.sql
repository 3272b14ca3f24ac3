-- CreateTable
CREATE TABLE "ConversationMessage" (
    "id" SERIAL NOT NULL,
    "ticketId" INTEGER NOT NULL,
    "messageId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "fromAddress" TEXT NOT NULL,
    "fromName" TEXT,
    "receivedAt" TIMESTAMPTZ(3) NOT NULL,
    "text" TEXT NOT NULL,
    "displayText" TEXT NOT NULL,
    "truncated" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "ConversationMessage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MessageAttachment" (
    "id" SERIAL NOT NULL,
    "conversationMessageId" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "filename" TEXT,
    "contentType" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "sha256" TEXT,
    "notKept" TEXT,

    CONSTRAINT "MessageAttachment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AttachmentBlob" (
    "sha256" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AttachmentBlob_pkey" PRIMARY KEY ("sha256")
);

-- CreateTable
CREATE TABLE "AttachmentChunk" (
    "sha256" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,

    CONSTRAINT "AttachmentChunk_pkey" PRIMARY KEY ("sha256","seq")
);

-- CreateIndex
CREATE UNIQUE INDEX "ConversationMessage_messageId_key" ON "ConversationMessage"("messageId");

-- CreateIndex
CREATE INDEX "ConversationMessage_ticketId_receivedAt_idx" ON "ConversationMessage"("ticketId", "receivedAt");

-- CreateIndex
CREATE INDEX "MessageAttachment_conversationMessageId_idx" ON "MessageAttachment"("conversationMessageId");

-- CreateIndex
CREATE INDEX "MessageAttachment_sha256_idx" ON "MessageAttachment"("sha256");

-- AddForeignKey
ALTER TABLE "ConversationMessage" ADD CONSTRAINT "ConversationMessage_ticketId_fkey" FOREIGN KEY ("ticketId") REFERENCES "Ticket"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MessageAttachment" ADD CONSTRAINT "MessageAttachment_conversationMessageId_fkey" FOREIGN KEY ("conversationMessageId") REFERENCES "ConversationMessage"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MessageAttachment" ADD CONSTRAINT "MessageAttachment_sha256_fkey" FOREIGN KEY ("sha256") REFERENCES "AttachmentBlob"("sha256") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AttachmentChunk" ADD CONSTRAINT "AttachmentChunk_sha256_fkey" FOREIGN KEY ("sha256") REFERENCES "AttachmentBlob"("sha256") ON DELETE CASCADE ON UPDATE CASCADE;

