// What the SLA and billing use cases share as dependencies; a Runtime (src/runtime.ts) satisfies them as it is.
// Types and one accessor only: each use case lists the config slice it reads.
import type { Logger } from '../logger.ts';
import type { Policy } from '../domain/policy.ts';
import type { Clock } from './ports.ts';
import type { Database, PrismaClient } from '../store/database.ts';

/** The database, given either as the opened Database or as its Prisma client. */
export type StoreDeps = { database: Pick<Database, 'prisma'> } | { prisma: PrismaClient };

export type UseCaseDeps = StoreDeps & { policy: Policy; clock: Clock; logger: Logger };

export function prismaOf(deps: StoreDeps): PrismaClient {
  return 'prisma' in deps ? deps.prisma : deps.database.prisma;
}
