// Keeps a second process off an embedded data directory: PGlite is single-process, and two writers corrupt it.
import fs from 'node:fs';
import path from 'node:path';
import { DeskbotError } from '../errors.ts';

export interface DataDirLock {
  readonly path: string;
  release(): void;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live process holding DATA_DIR/deskbot.lock, if any (a lock left by a dead process names nobody). */
export function dataDirLockHolder(dataDir: string): number | undefined {
  let holder: number;
  try {
    holder = Number.parseInt(fs.readFileSync(path.join(dataDir, 'deskbot.lock'), 'utf8'), 10);
  } catch {
    return undefined;
  }
  return Number.isInteger(holder) && holder !== process.pid && isAlive(holder) ? holder : undefined;
}

/** Takes DATA_DIR/deskbot.lock (pid inside); a lock left by a dead process is taken over. */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  const lockPath = path.join(dataDir, 'deskbot.lock');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      fs.writeFileSync(lockPath, `${process.pid}\n`, { flag: 'wx' });
      let released = false;
      return {
        path: lockPath,
        release() {
          if (released) return;
          released = true;
          try {
            if (fs.readFileSync(lockPath, 'utf8').trim() === String(process.pid)) fs.unlinkSync(lockPath);
          } catch {
            // already gone
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = dataDirLockHolder(dataDir);
      if (holder !== undefined) {
        throw new DeskbotError(
          'DB_LOCKED',
          `The embedded database in ${dataDir} is in use by deskbot process ${holder}. ` +
            'Stop it first, or set DATABASE_URL to PostgreSQL to run several processes.',
          { details: { dataDir, pid: holder } },
        );
      }
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new DeskbotError('DB_LOCKED', `Could not take the lock on ${dataDir}`);
}
