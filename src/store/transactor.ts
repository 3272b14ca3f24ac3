// The Transactor port over Prisma, and the store half of AppDeps: a transaction's repositories, the repositories for
// reads, and storage failures translated to DeskbotError (errors.ts) at this one boundary.
import { DuplicateInboundMessage, type Repositories, type TransactionOptions, type Transactor } from '../app/ports.ts';
import type { Policy } from '../domain/policy.ts';
import type { Database, PrismaClient } from './database.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { toStorageError } from './errors.ts';
import { beginningTransaction, linkTransaction, type RawQueryable } from './direct-raw.ts';
import { currentGroup, openGroups, type OpenGroup } from './group-transaction.ts';
import { createRepositories } from './repositories.ts';

/** Prisma's interactive-transaction defaults when a use case names none. */
const defaults = { maxWaitMs: 2_000, timeoutMs: 5_000 };

function translated(error: unknown): unknown {
  return error instanceof DuplicateInboundMessage ? error : toStorageError(error);
}

/** Every method of every repository, with storage failures translated (the read-side repositories). */
function translating(repositories: Repositories): Repositories {
  const wrap = <R extends object>(repository: R): R =>
    Object.fromEntries(
      Object.entries(repository).map(([name, method]) => [
        name,
        (...args: unknown[]) => {
          try {
            const result = (method as (...args: unknown[]) => unknown)(...args);
            return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(translated(error))) : result;
          } catch (error) {
            throw translated(error);
          }
        },
      ]),
    ) as R;
  return Object.fromEntries(Object.entries(repositories).map(([name, repository]) => [name, wrap(repository)])) as unknown as Repositories;
}

/**
 * Prisma's interactive transaction with its raw statements routed past Prisma: the driver adapter names the
 * transaction it begins (direct-raw.ts), and the transaction client is linked to it before `work` runs.
 */
function linkedTransaction<T>(
  prisma: PrismaClient,
  work: (tx: Prisma.TransactionClient) => Promise<T>,
  options: { maxWait: number; timeout: number },
): Promise<T> {
  const beginning: { transaction?: RawQueryable } = {};
  return beginningTransaction.run(beginning, () =>
    prisma.$transaction((tx) => {
      linkTransaction(tx, prisma, beginning.transaction);
      return work(tx);
    }, options),
  );
}

export function createTransactor(prisma: PrismaClient, policy: Policy): Transactor {
  return {
    async run(work, options: TransactionOptions = {}) {
      const group = currentGroup();
      if (group) {
        // After a failure the transaction is aborted: nothing more runs in it.
        if (group.failure) throw translated(group.failure.error);
        try {
          return await work(group.repositories);
        } catch (error) {
          group.failure ??= { error };
          throw translated(error);
        }
      }
      try {
        return await linkedTransaction(prisma, (tx) => work(createRepositories(tx, prisma, policy)), {
          maxWait: options.maxWaitMs ?? defaults.maxWaitMs,
          timeout: options.timeoutMs ?? defaults.timeoutMs,
        });
      } catch (error) {
        throw translated(error);
      }
    },

    async group(work, options: TransactionOptions = {}) {
      try {
        return await linkedTransaction(
          prisma,
          async (tx) => {
            const group: OpenGroup = { repositories: createRepositories(tx, prisma, policy), closed: false };
            try {
              const value = await openGroups.run(group, work);
              if (group.failure) throw group.failure.error;
              return value;
            } finally {
              // Work started in the group's async context that outlives it runs transactions of its own.
              group.closed = true;
            }
          },
          { maxWait: options.maxWaitMs ?? 15_000, timeout: options.timeoutMs ?? 120_000 },
        );
      } catch (error) {
        throw translated(error);
      }
    },
  };
}

/** The store half of AppDeps over one database: `{ transactor, repositories }`. */
export function storeAccess(database: Pick<Database, 'prisma'> | PrismaClient, policy: Policy): { transactor: Transactor; repositories: Repositories } {
  const prisma = 'prisma' in database ? database.prisma : database;
  return { transactor: createTransactor(prisma, policy), repositories: translating(createRepositories(prisma, prisma, policy)) };
}
