// Why `deskbot serve` could not start, as one line naming the setting to look at and an exit code (issue 13 point 15):
// no errno text, no stack. Only failures an operator can act on are mapped; anything else stays a failure with its log.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.ts';
import { DeskbotError } from '../errors.ts';
import { exitCodes } from './io.ts';

export interface StartupFailure {
  /** One line for stderr, naming the setting (PORT, HOST, DATA_DIR, DIRECTORY_FILE); an invalid directory file's problems follow it. */
  line: string;
  /** 78 (EX_CONFIG) when the setting is wrong; 1 when it is right but the machine is not ready (the port is taken). */
  exitCode: number;
}

type StartupSettings = Pick<Config, 'PORT' | 'HOST' | 'dataDir'> & Partial<Pick<Config, 'DIRECTORY_FILE'>>;

/** The first error in the `cause` chain that carries a Node.js errno code. */
function systemError(error: unknown): NodeJS.ErrnoException | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) {
    if (typeof (current as NodeJS.ErrnoException).code === 'string' && (current as NodeJS.ErrnoException).syscall) return current as NodeJS.ErrnoException;
  }
  return undefined;
}

function isFolder(folder: string): boolean {
  try {
    return fs.statSync(folder).isDirectory();
  } catch {
    return false;
  }
}

function isInside(file: string, folder: string): boolean {
  const relative = path.relative(folder, path.resolve(file));
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * Whether the failing read was of DIRECTORY_FILE: the errno error names it as its path, or the import's own error
 * (DIRECTORY_INVALID, `details.file`) wraps it (a read of a folder, EISDIR, names no path).
 */
function isDirectoryFileRead(error: unknown, system: NodeJS.ErrnoException, file: string): boolean {
  if (system.path !== undefined) return path.resolve(system.path) === path.resolve(file);
  return error instanceof DeskbotError && error.code === 'DIRECTORY_INVALID' && error.details?.file === file;
}

/** Why DIRECTORY_FILE could not be read, by errno code: the path is named, the errno text is not. */
function directoryFileProblem(code: string | undefined): string {
  if (code === 'ENOENT') return 'does not exist';
  if (code === 'ENOTDIR') return 'does not exist (a part of its path is a file)';
  if (code === 'EISDIR') return 'is a folder, not a file';
  if (code === 'EACCES' || code === 'EPERM') return 'not readable by this user';
  return 'cannot be read';
}

/**
 * DIRECTORY_FILE was read but its content is refused (nothing was imported): a setting to fix, so 78 like an unreadable
 * file, with the import's message (its problems follow on lines of their own, each with its line number).
 */
function invalidDirectoryFile(error: unknown, settings: StartupSettings): StartupFailure | undefined {
  const file = settings.DIRECTORY_FILE;
  if (!file || !(error instanceof DeskbotError) || error.code !== 'DIRECTORY_INVALID' || error.details?.file !== file) return undefined;
  return { line: `DIRECTORY_FILE: ${error.message}`, exitCode: exitCodes.config };
}

/** Maps a start-up error to its line and exit code, or undefined when it is not one an operator setting explains. */
export function describeStartupFailure(error: unknown, settings: StartupSettings): StartupFailure | undefined {
  const system = systemError(error);
  if (!system) return invalidDirectoryFile(error, settings);
  const { code, syscall } = system;
  const where = `${settings.HOST}:${settings.PORT}`;
  const directoryFile = settings.DIRECTORY_FILE;
  if (directoryFile && isDirectoryFileRead(error, system, directoryFile)) {
    return { line: `DIRECTORY_FILE ${directoryFile}: ${directoryFileProblem(code)}`, exitCode: exitCodes.config };
  }
  if (syscall === 'listen' || syscall === 'bind') {
    if (code === 'EADDRINUSE')
      return { line: `PORT ${settings.PORT}: already in use on ${settings.HOST} (another deskbot or service listens there)`, exitCode: exitCodes.failure };
    if (code === 'EACCES') return { line: `PORT ${settings.PORT}: not permitted for this user (ports below 1024 need privileges)`, exitCode: exitCodes.config };
    if (code === 'EADDRNOTAVAIL')
      return { line: `HOST ${settings.HOST}: not an address of this machine (cannot listen on ${where})`, exitCode: exitCodes.config };
  }
  const hostname = (system as NodeJS.ErrnoException & { hostname?: string }).hostname;
  if (syscall === 'getaddrinfo' && hostname === settings.HOST) {
    return { line: `HOST ${settings.HOST}: cannot be resolved to an address to listen on`, exitCode: exitCodes.config };
  }
  if (system.path && isInside(system.path, settings.dataDir)) {
    const entry = path.relative(settings.dataDir, path.resolve(system.path));
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      const what = entry === '' || !isFolder(settings.dataDir) ? 'is a file, not a folder' : `holds a file where the folder ${entry} belongs`;
      return { line: `DATA_DIR ${settings.dataDir}: ${what}`, exitCode: exitCodes.config };
    }
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
      return { line: `DATA_DIR ${settings.dataDir}: not writable by this user`, exitCode: exitCodes.config };
  }
  return undefined;
}
