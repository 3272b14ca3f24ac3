-- AlterTable
ALTER TABLE "HeldRequest" ADD COLUMN     "ccAddresses" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "toAddresses" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "ConversationMessage" ADD COLUMN     "ccAddresses" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "toAddresses" TEXT[] DEFAULT ARRAY[]::TEXT[];

