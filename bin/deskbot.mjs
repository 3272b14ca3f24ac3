#!/usr/bin/env node
// The deskbot executable: runs the CLI from the dist/ bundle when it is up to date (`npm run build`, done by
// `npm start`), else from the TypeScript sources through tsx. Source maps keep stack traces pointing at src/.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = path.join(root, 'dist', 'cli.js');

/** Newest modification time of `dir`, its folders and its files (a folder's changes when a file is deleted). */
function newest(dir) {
  let latest = fs.statSync(dir).mtimeMs;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : fs.statSync(full).mtimeMs);
  }
  return latest;
}

function bundleIsFresh() {
  try {
    return fs.statSync(bundle).mtimeMs >= newest(path.join(root, 'src'));
  } catch {
    return false;
  }
}

let runCli;
if (process.env.DESKBOT_FROM_SOURCE !== '1' && bundleIsFresh()) {
  process.setSourceMapsEnabled(true);
  ({ runCli } = await import(bundle));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ runCli } = await import('../src/cli/program.ts'));
}
const code = await runCli(process.argv.slice(2));
process.exitCode = code;
// A command is done: let pending output flush, but do not let a stray handle keep the process alive.
setTimeout(() => process.exit(code), 2_000).unref();
