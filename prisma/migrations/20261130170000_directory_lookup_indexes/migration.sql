-- The sender lookup (src/store/directory-repository.ts) runs for every inbound message. Without these indexes it read
-- every licence (the licence-number match and the list of product names) and every partner, so its cost grew with the
-- directory: ~2 ms with 10 customers, ~10 ms with 3,000 on PGlite (4.7 ms with them).

-- CreateIndex
CREATE INDEX "Licence_product_idx" ON "Licence"("product");

-- Written by hand (Prisma's schema language has no expression or GIN indexes, so they are absent from schema.prisma
-- and from prisma/migrations/schema.snapshot.prisma; a later `migrations:new` does not see or drop them).
-- A licence number is matched ignoring case and white space (normalizeLicenceNumber); the lookup's expression must
-- stay exactly this one for the index to serve it.
CREATE INDEX "Licence_number_normalized_idx" ON "Licence"((upper(regexp_replace("number", '\s', '', 'g'))));

-- A partner is found by a contact address or domain listed in its contacts array.
CREATE INDEX "Partner_contacts_idx" ON "Partner" USING GIN ("contacts");
