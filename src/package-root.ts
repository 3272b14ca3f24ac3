// Where deskbot's own files (templates/, prisma/migrations/) live, found the same way from src/ (run through tsx)
// and from the dist/ bundle (npm start), whose modules sit at different depths.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest folder at or above `from` with deskbot's package.json. */
export function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (manifest.name === 'deskbot') return dir;
    } catch {
      // no package.json here (or not readable): keep going up
    }
    if (path.dirname(dir) === dir) throw new Error(`deskbot's package.json not found above ${from}`);
  }
}

export const packageRoot = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

/** deskbot's version, as its package.json gives it (`deskbot --version`). */
export function packageVersion(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version?: string };
  return manifest.version ?? 'unknown';
}
