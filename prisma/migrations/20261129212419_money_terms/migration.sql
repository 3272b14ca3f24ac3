-- AlterTable
ALTER TABLE "Customer" ADD COLUMN     "agreedAt" TIMESTAMPTZ(3),
ADD COLUMN     "agreedBy" TEXT,
ADD COLUMN     "agreementMessageId" TEXT,
ADD COLUMN     "suspendedReason" TEXT,
ADD COLUMN     "suspendedSince" DATE;

-- AlterTable
ALTER TABLE "Ticket" ADD COLUMN     "awaitingAgreement" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "postMortemAt" TIMESTAMPTZ(3),
ADD COLUMN     "postMortemBy" TEXT,
ADD COLUMN     "postMortemNotes" TEXT,
ADD COLUMN     "preSales" BOOLEAN NOT NULL DEFAULT false;

