#!/usr/bin/env node
// Fails when a file under src/ (generated code aside) is over 400 lines: past that it usually holds two things
// (STYLE.md). Part of `npm run lint`; prints every offender with its line count.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const maxLines = 400;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const skipped = new Set([path.join(root, 'src', 'generated')]);

/** Every file below `dir`, generated code aside. */
function filesUnder(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (skipped.has(full)) return [];
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

/** Lines as an editor shows them: a last line without a newline counts too. */
function lineCount(text) {
  const breaks = text.split('\n').length - 1;
  return text === '' || text.endsWith('\n') ? breaks : breaks + 1;
}

const tooLong = filesUnder(path.join(root, 'src'))
  .map((file) => ({ file: path.relative(root, file), lines: lineCount(fs.readFileSync(file, 'utf8')) }))
  .filter(({ lines }) => lines > maxLines)
  .sort((a, b) => b.lines - a.lines);

for (const { file, lines } of tooLong) console.error(`${file}: ${lines} lines (at most ${maxLines}; split it by what it holds)`);
if (tooLong.length) {
  console.error(`check-file-size: ${tooLong.length} file(s) in src/ over ${maxLines} lines`);
  process.exit(1);
}
console.log(`check-file-size: every file in src/ has at most ${maxLines} lines`);
