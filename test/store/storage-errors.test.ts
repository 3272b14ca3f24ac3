// Storage failures named at the one boundary (store/errors.ts): a raw statement's P2010 is a bug unless its driver
// error says the connection failed, which is retried like any other outage.
import { describe, expect, it } from 'vitest';
import { Prisma } from '../../src/generated/prisma/client.ts';
import { toStorageError } from '../../src/store/errors.ts';

/** A raw statement's failure as Prisma (and direct-raw.ts) report it: P2010 with the adapter's error in `meta`. */
const rawFailure = (cause: Record<string, string>) =>
  new Prisma.PrismaClientKnownRequestError('Raw query failed. Code: `N/A`. Message: `x`', {
    code: 'P2010',
    clientVersion: Prisma.prismaVersion.client,
    meta: { driverAdapterError: Object.assign(new Error('x'), { name: 'DriverAdapterError', cause }) },
  });

describe('toStorageError', () => {
  it.each([
    [{ kind: 'ConnectionClosed' }],
    [{ kind: 'DatabaseNotReachable' }],
    [{ kind: 'SocketTimeout' }],
    [{ kind: 'TooManyConnections' }],
    [{ kind: 'postgres', code: '57P01', originalCode: '57P01' }],
    [{ kind: 'postgres', code: '08006', originalCode: '08006' }],
  ])('takes a raw statement failing on its connection (%o) for an outage, retryable', (cause) => {
    expect(toStorageError(rawFailure(cause))).toMatchObject({ code: 'DB_UNAVAILABLE', retryable: true });
  });

  it.each([[{ kind: 'UniqueConstraintViolation', originalCode: '23505' }], [{ kind: 'postgres', code: '42601', originalCode: '42601' }]])(
    'takes a raw statement failing on its own (%o) for a bug',
    (cause) => {
      const translated = toStorageError(rawFailure(cause));
      expect(translated).toMatchObject({ code: 'INTERNAL' });
      expect((translated as Error).cause).toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
    },
  );
});
