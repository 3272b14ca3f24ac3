// The header block, defined once for the mail pipe and the parser: first empty line wins, CRLF or LF, cap kept.
import { describe, expect, it } from 'vitest';
import { headerBlockBounds, headerBlockOf, headerBlockWithBlankLine } from '../../../src/domain/mail/headers.ts';

describe('header block', () => {
  it.each([
    { rule: 'CRLF: headers end after the last line break', raw: 'A: 1\r\nB: 2\r\n\r\nbody', lines: 'A: 1\r\nB: 2\r\n', withBlank: 'A: 1\r\nB: 2\r\n\r\n' },
    { rule: 'bare LF', raw: 'A: 1\n\nbody', lines: 'A: 1\n', withBlank: 'A: 1\n\n' },
    { rule: 'the first empty line wins (LF before CRLF)', raw: 'A: 1\n\nB\r\n\r\nC', lines: 'A: 1\n', withBlank: 'A: 1\n\n' },
    { rule: 'the first empty line wins (CRLF before LF)', raw: 'A: 1\r\n\r\nB\n\nC', lines: 'A: 1\r\n', withBlank: 'A: 1\r\n\r\n' },
    { rule: 'no empty line: all of it', raw: 'A: 1\r\nB: 2', lines: 'A: 1\r\nB: 2', withBlank: 'A: 1\r\nB: 2' },
  ])('$rule', ({ raw, lines, withBlank }) => {
    expect(headerBlockOf(Buffer.from(raw)).toString()).toBe(lines);
    expect(headerBlockWithBlankLine(Buffer.from(raw), 1024).toString()).toBe(withBlank);
  });

  it('cuts the block at the cap', () => {
    expect(headerBlockWithBlankLine(Buffer.from('A: 123456\r\n\r\nbody'), 4).toString()).toBe('A: 1');
    expect(headerBlockBounds(Buffer.from('no blank line'))).toBeNull();
  });
});
