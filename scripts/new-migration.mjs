#!/usr/bin/env node
// Writes a new SQL migration for the changes in prisma/schema.prisma since the last migration, offline:
// `prisma migrate diff` between prisma/migrations/schema.snapshot.prisma (the schema the migrations build) and
// the current schema. Then the snapshot is updated. Usage: npm run migrations:new -- <name>
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error('usage: npm run migrations:new -- <name>   (lower-case letters, digits and _)');
  process.exit(2);
}
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const snapshot = path.join(root, 'prisma/migrations/schema.snapshot.prisma');
const schema = path.join(root, 'prisma/schema.prisma');
const sql = execFileSync('npx', ['prisma', 'migrate', 'diff', '--from-schema-datamodel', snapshot, '--to-schema-datamodel', schema, '--script'], {
  cwd: root,
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
});
if (!sql.replace(/--.*$/gm, '').trim()) {
  console.error('no schema changes since the last migration');
  process.exit(1);
}
const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
const dir = path.join(root, 'prisma/migrations', `${stamp}_${name}`);
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, 'migration.sql'), sql);
fs.copyFileSync(schema, snapshot);
console.log(`wrote ${path.relative(root, dir)}/migration.sql`);
