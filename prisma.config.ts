// Prisma CLI settings: the Rust-free JS engine with driver adapters (no native schema engine is available here).
import path from 'node:path';
import { defineConfig } from 'prisma/config';

// The schema's `url = env("DATABASE_URL")` must resolve when the CLI reads the schema, even though the
// driver adapters get their connection at run time; without it the CLI falls back to downloading a native engine.
process.env.DATABASE_URL ??= 'postgresql://unused@127.0.0.1:5432/unused';

export default defineConfig({
  engine: 'js',
  experimental: { adapter: true },
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  async adapter() {
    const { PrismaPGlite } = await import('pglite-prisma-adapter');
    const { PGlite } = await import('@electric-sql/pglite');
    // Typed against an older driver-adapter-utils; the runtime contract is the same (see src/store/database.ts).
    return new PrismaPGlite(new PGlite()) as never;
  },
});
