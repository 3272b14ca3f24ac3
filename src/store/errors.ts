// Prisma and driver errors -> DeskbotError, in one place: every store caller (intake, CLI, jobs) reports the same
// codes for the same failure. Deciding what to retry is the caller's; this only names the failure.
import { DeskbotError, isDeskbotError } from '../errors.ts';
import { Prisma } from '../generated/prisma/client.ts';

const connectionErrorPattern = /connect|connection|terminat|closed|ECONN|EPIPE|ETIMEDOUT|socket|timed? ?out|shutting down|too many clients|after calling end/i;

/** Driver-adapter failure kinds that say the connection, not the statement, failed. */
const connectionKinds = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TlsConnectionError']);

/**
 * A raw statement's P2010 whose driver error is the connection's: a socket error, or PostgreSQL's connection exception
 * (class 08), shutdown or crash (57P01-57P03) or too many connections (53300). Prisma reports any raw statement's driver
 * failure as P2010; these are not the statement's fault.
 */
function rawConnectionFailure(error: unknown): boolean {
  const meta = (error as { meta?: { driverAdapterError?: { cause?: { kind?: string; code?: string; originalCode?: string } } } } | null)?.meta;
  const cause = meta?.driverAdapterError?.cause;
  if (!cause) return false;
  const sqlState = cause.originalCode ?? cause.code ?? '';
  return connectionKinds.has(cause.kind ?? '') || /^08|^57P0[123]$|^53300$/.test(sqlState);
}

/**
 * Storage failures become DB_UNAVAILABLE (retryable: nothing was committed, the caller retries later): connection,
 * initialisation and driver-adapter errors, a raw statement's included. Constraint or query errors (Prisma P2xxx) are
 * bugs: INTERNAL. A DeskbotError, and anything else that is not a storage failure, is returned as it is.
 */
export function toStorageError(error: unknown): unknown {
  if (isDeskbotError(error)) return error;
  const name = (error as { name?: string } | null)?.name ?? '';
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  const message = error instanceof Error ? `${error.message} ${String((error.cause as Error | undefined)?.message ?? '')}` : String(error);
  if (code === 'P2010' && rawConnectionFailure(error)) {
    return new DeskbotError('DB_UNAVAILABLE', `The database is unavailable: ${message.trim()}`, { cause: error, retryable: true });
  }
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
