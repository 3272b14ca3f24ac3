#!/usr/bin/env node
// Bundles src/ into dist/ (esbuild; npm packages stay external) so `npm start` runs plain JavaScript: no TypeScript
// loader thread in the serving process (about 35 MB less resident memory). bin/deskbot.mjs uses the bundle only
// while it is newer than every file under src/, and falls back to tsx otherwise, so a stale bundle never runs.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// `--outdir <dir>` builds elsewhere (a test's private bundle, inside the repository so npm packages resolve).
const outdirAt = process.argv.indexOf('--outdir');
const outdir = outdirAt > 0 ? path.resolve(process.argv[outdirAt + 1] ?? '') : path.join(root, 'dist');

// A fresh folder each time: chunk names change with their content.
fs.rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { cli: 'src/cli/program.ts' }, // dist/cli.js, which bin/deskbot.mjs loads
  outdir,
  bundle: true,
  splitting: true, // keeps the CLI's lazy imports (the PNG chart, PGlite) lazy
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
  // Some bundled modules call require(); give the ES module bundle one.
  banner: { js: "import { createRequire as __deskbotCreateRequire } from 'node:module'; const require = __deskbotCreateRequire(import.meta.url);" },
});
// The embedded database's thread is plain JavaScript loaded by URL next to the code that starts it (src/store/pglite-thread.ts).
fs.copyFileSync(path.join(root, 'src/store/pglite-worker.mjs'), path.join(outdir, 'pglite-worker.mjs'));
