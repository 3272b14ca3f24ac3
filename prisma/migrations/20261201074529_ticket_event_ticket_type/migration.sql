-- CreateIndex
CREATE INDEX "TicketEvent_ticketId_type_idx" ON "TicketEvent"("ticketId", "type");

