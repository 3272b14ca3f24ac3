// Which Prisma clients run their transactions one at a time on a single connection (PGlite): there a row lock
// (SELECT … FOR UPDATE) guards against no one, yet it still writes the lock into the row (a WAL record, a dirty
// page) on every engineer action. Clients not marked (PostgreSQL, any other) keep their row locks.
const serialized = new WeakSet<object>();

export function markSerializedClient(prisma: object): void {
  serialized.add(prisma);
}

/** Whether a row lock is needed on `prisma`'s connections: false only for a client marked as serialized. */
export function needsRowLocks(prisma: object): boolean {
  return !serialized.has(prisma);
}
