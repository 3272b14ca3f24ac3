// A throw-away folder for the files a test file writes (directory files, policy files), removed after its tests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

/** Call at the top of a test file: `write(name, text)` writes a file there and returns its path. */
export function scratchFiles(prefix: string): { dir: string; write(name: string, text: string): string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `deskbot-${prefix}-`));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    write(name, text) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, text);
      return file;
    },
  };
}
