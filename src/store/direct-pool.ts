// The pg pool behind a PostgreSQL PrismaClient, for the few writes that must not go through Prisma: attachment
// chunks, whose parameters Prisma copies several times (a 20 MB attachment grew RSS by ~110 MB), while pg sends a
// Buffer as one binary parameter. PGlite clients have none: their writes stay on Prisma.
import type pg from 'pg';

const pools = new WeakMap<object, pg.Pool>();

export function registerDirectPool(prisma: object, pool: pg.Pool): void {
  pools.set(prisma, pool);
}

export function directPoolOf(prisma: object): pg.Pool | undefined {
  return pools.get(prisma);
}
