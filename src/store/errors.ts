// Prisma and driver errors -> DeskbotError, in one place: every store caller (intake, CLI, jobs) reports the same
// codes for the same failure. Deciding what to retry is the caller's; this only names the failure.
import { DeskbotError, isDeskbotError } from '../errors.ts';
import { Prisma } from '../generated/prisma/client.ts';

const connectionErrorPattern = /connect|connection|terminat|closed|ECONN|EPIPE|ETIMEDOUT|socket|timed? ?out|shutting down|too many clients|after calling end/i;

/**
 * Storage failures become DB_UNAVAILABLE (retryable: nothing was committed, the caller retries later): connection,
 * initialisation and driver-adapter errors. Constraint or query errors (Prisma P2xxx) are bugs: INTERNAL. A
 * DeskbotError, and anything else that is not a storage failure, is returned as it is.
 */
export function toStorageError(error: unknown): unknown {
  if (isDeskbotError(error)) return error;
  const name = (error as { name?: string } | null)?.name ?? '';
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  const message = error instanceof Error ? `${error.message} ${String((error.cause as Error | undefined)?.message ?? '')}` : String(error);
  if (/^P2/.test(code)) return new DeskbotError('INTERNAL', `Storage rejected intake work: ${message}`, { cause: error });
  if (/^P1/.test(code) || name === 'PrismaClientInitializationError' || name === 'PrismaClientRustPanicError' || connectionErrorPattern.test(message)) {
    return new DeskbotError('DB_UNAVAILABLE', `The database is unavailable: ${message.trim()}`, { cause: error, retryable: true });
  }
  return error;
}

type AdapterCause = { code?: string; originalCode?: string; kind?: string } | undefined;

const isUniqueCause = (cause: AdapterCause) => cause?.code === '23505' || cause?.originalCode === '23505' || cause?.kind === 'UniqueConstraintViolation';

/**
 * True for a unique-constraint violation: Prisma P2002, a raw query's P2010 whose driver-adapter error is PostgreSQL
 * 23505, or 23505 through a driver adapter directly.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    if (error.code === 'P2002') return true;
    const adapterError = (error.meta as { driverAdapterError?: { cause?: AdapterCause } } | undefined)?.driverAdapterError;
    return error.code === 'P2010' && isUniqueCause(adapterError?.cause);
  }
  return isUniqueCause((error as { cause?: AdapterCause } | null)?.cause);
}
