-- CreateTable
CREATE TABLE "HeldRequestAttachment" (
    "id" SERIAL NOT NULL,
    "heldRequestId" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "filename" TEXT,
    "contentType" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "sha256" TEXT,
    "notKept" TEXT,

    CONSTRAINT "HeldRequestAttachment_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "HeldRequestAttachment_heldRequestId_idx" ON "HeldRequestAttachment"("heldRequestId");

-- CreateIndex
CREATE INDEX "HeldRequestAttachment_sha256_idx" ON "HeldRequestAttachment"("sha256");

-- AddForeignKey
ALTER TABLE "HeldRequestAttachment" ADD CONSTRAINT "HeldRequestAttachment_heldRequestId_fkey" FOREIGN KEY ("heldRequestId") REFERENCES "HeldRequest"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HeldRequestAttachment" ADD CONSTRAINT "HeldRequestAttachment_sha256_fkey" FOREIGN KEY ("sha256") REFERENCES "AttachmentBlob"("sha256") ON DELETE SET NULL ON UPDATE CASCADE;

