// Inbox entries refused unread and target names within the 255-byte limit (issue 13 points 3 and 4).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cutToBytes, entryExists, entryKind, fittedName, maxFileNameBytes } from '../../../src/channels/email/inbox-files.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-inbox-files-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('entryKind (from lstat, links never followed)', () => {
  fs.writeFileSync(path.join(tmp, 'plain.eml'), 'x');
  fs.symlinkSync('/dev/null', path.join(tmp, 'device-link.eml'));
  it.each([
    ['a plain file', path.join(tmp, 'plain.eml'), 'file'],
    ['a symlink, even to a device', path.join(tmp, 'device-link.eml'), 'symlink'],
    ['a folder', tmp, 'directory'],
    ['a character device', '/dev/null', 'device'],
  ])('%s', (_rule, entry, kind) => {
    expect(entryKind(fs.lstatSync(entry))).toBe(kind);
  });
});

describe('fittedName', () => {
  it.each([
    ['a short name is kept', 'request', '-1', '.eml', 'request-1.eml'],
    ['a 251-character stem with -1 is shortened to 255 bytes', 'n'.repeat(251), '-1', '.eml', `${'n'.repeat(249)}-1.eml`],
    ['multi-byte characters are never split', 'ž'.repeat(200), '-12', '.eml', `${'ž'.repeat(124)}-12.eml`],
  ])('%s', (_rule, stem, suffix, extension, expected) => {
    const name = fittedName(stem, suffix, extension);
    expect(name).toBe(expected);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(maxFileNameBytes);
  });

  it('cuts text by UTF-8 bytes', () => {
    expect(cutToBytes('aé🙂', 5)).toBe('aé');
    expect(cutToBytes('aé🙂', 7)).toBe('aé🙂');
  });
});

describe('entryExists', () => {
  it('sees a dangling symlink that fs.existsSync misses', async () => {
    const dangling = path.join(tmp, 'dangling.eml');
    fs.symlinkSync(path.join(tmp, 'gone'), dangling);
    expect(fs.existsSync(dangling)).toBe(false);
    expect(await entryExists(dangling)).toBe(true);
    expect(await entryExists(path.join(tmp, 'nothing.eml'))).toBe(false);
  });
});
