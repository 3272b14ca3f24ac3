-- CreateIndex
CREATE INDEX "Charge_decidedAt_idx" ON "Charge"("decidedAt");

