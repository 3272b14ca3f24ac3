// The reply corpus (test/fixtures/replies): each <shape>.txt must come out as <shape>.expected.txt.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { replyText } from '../../../src/channels/email/reply-text.ts';

const corpus = path.resolve(import.meta.dirname, '../../fixtures/replies');
const shapes = fs
  .readdirSync(corpus)
  .filter((name) => name.endsWith('.txt') && !name.endsWith('.expected.txt'))
  .map((name) => name.slice(0, -'.txt'.length));

describe('replyText', () => {
  it('has a corpus of reply shapes', () => {
    expect(shapes.length).toBeGreaterThanOrEqual(15);
  });

  it.each(shapes)('%s', (shape) => {
    const input = fs.readFileSync(path.join(corpus, `${shape}.txt`), 'utf8');
    const expected = fs.readFileSync(path.join(corpus, `${shape}.expected.txt`), 'utf8');
    expect(replyText(input)).toBe(expected.trim());
  });

  it.each([20_000, 200_000])('stays fast on a %i-character line that starts like a "wrote" line', (length) => {
    const line = `On ${'x '.repeat(length / 2)}`;
    const started = performance.now();
    expect(replyText(line)).toBe(line.trim());
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('strips the trailing quote and signature of a mail too long for the library', () => {
    const long = 'y'.repeat(5000);
    expect(replyText(`New text ${long}\n\n> old line\n> older line\n`)).toBe(`New text ${long}`);
    expect(replyText(`New text ${long}\n-- \nAna\n`)).toBe(`New text ${long}`);
  });

  it('reads CRLF text like LF text', () => {
    expect(replyText('New text.\r\n\r\nOn Tue, 24 Nov 2026 at 14:03, Support <s@v.example> wrote:\r\n> old\r\n')).toBe('New text.');
  });
});
