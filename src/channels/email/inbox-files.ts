// What the inbox watcher may do with a directory entry without opening it (issue 13 points 3–5): which entries are
// plain files, and target names that fit the file system's 255-byte limit. No reading of message content here.
import fs from 'node:fs';

/** Longest file name (bytes) on the file systems deskbot runs on (NAME_MAX of ext4, xfs, btrfs, tmpfs, APFS). */
export const maxFileNameBytes = 255;

/** Why an inbox entry goes to rejected/ without being read. */
export type RefusedEntry = 'symlink' | 'directory' | 'fifo' | 'socket' | 'device' | 'empty' | 'not-a-file';

/** The kind of an entry from lstat(): a plain file, or why it is refused (links are never followed). */
export function entryKind(stat: fs.Stats): 'file' | RefusedEntry {
  if (stat.isSymbolicLink()) return 'symlink';
  if (stat.isFile()) return 'file';
  if (stat.isDirectory()) return 'directory';
  if (stat.isFIFO()) return 'fifo';
  if (stat.isSocket()) return 'socket';
  if (stat.isBlockDevice() || stat.isCharacterDevice()) return 'device';
  return 'not-a-file';
}

/** `text` cut to at most `maxBytes` of UTF-8 without splitting a character. */
export function cutToBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let cut = '';
  let bytes = 0;
  for (const character of text) {
    const size = Buffer.byteLength(character);
    if (bytes + size > maxBytes) break;
    cut += character;
    bytes += size;
  }
  return cut;
}

/**
 * `stem + suffix + extension` within `maxFileNameBytes`, shortening the stem when needed: the name a file is moved
 * under when `processed/` already holds its name (`-1`, `-2`, ...) or when the original name is at the limit.
 */
export function fittedName(stem: string, suffix: string, extension: string): string {
  const room = maxFileNameBytes - Buffer.byteLength(suffix) - Buffer.byteLength(extension);
  return `${cutToBytes(stem, Math.max(room, 0))}${suffix}${extension}`;
}

/** True when `target` exists as any kind of entry, a dangling symlink included (existsSync follows links). */
export async function entryExists(target: string): Promise<boolean> {
  try {
    await fs.promises.lstat(target);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
