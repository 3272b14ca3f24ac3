// YAML syntax errors quote the line they report, with the caret under the reported column: the yaml library's own
// excerpt added the line above when the column was at the start of a line, so it seemed to quote the wrong line.
import { describe, expect, it } from 'vitest';
import { parseYamlDocument, sourceExcerpt } from '../src/yaml-syntax-errors.ts';

function firstError(text: string) {
  const parsed = parseYamlDocument(text);
  if (parsed.ok) throw new Error('expected a syntax error');
  return parsed.errors[0]!;
}

describe('parseYamlDocument', () => {
  it.each([
    {
      rule: 'an error at the start of an indented line quotes that line alone',
      text: 'customers:\n  - key: ACME\n    currency: [USD\n  - key: B\n',
      line: 4,
      column: 3,
      excerpt: '4 |   - key: B\n  |   ^',
    },
    {
      rule: 'an error inside a line puts the caret under its column',
      text: '# comment\ncustomers:\n  - key: ACME\n    name: Acme: Corp\n',
      line: 4,
      column: 11,
      excerpt: '4 |     name: Acme: Corp\n  |           ^',
    },
    {
      rule: 'a duplicate key quotes the second key, not the first',
      text: 'customers:\n  - key: ACME\n    name: Acme\n    name: Again\n',
      line: 4,
      column: 5,
      excerpt: '4 |     name: Again\n  |     ^',
    },
    {
      rule: 'a quote left open is reported at the end of the file, and says so',
      text: 'customers:\n  - key: ACME\n    name: "Acme\n    calendar: US\n',
      line: 5,
      column: 1,
      excerpt: '5 |\n  | ^ end of file',
    },
    {
      rule: 'a tab before the column is kept in the caret line',
      text: 'key:\t"x" y\n',
      line: 1,
      column: 10,
      excerpt: '1 | key:\t"x" y\n  |     \t    ^',
    },
    {
      rule: 'a tab as indentation is quoted on its own line',
      text: 'customers:\n\t- key: ACME\n',
      line: 2,
      column: 1,
      excerpt: '2 | \t- key: ACME\n  | ^',
    },
    {
      rule: 'CRLF line ends count one line each and are not quoted',
      text: 'customers:\r\n  - key: ACME\r\n    currency: [USD\r\n  - key: B\r\n',
      line: 4,
      column: 3,
      excerpt: '4 |   - key: B\n  |   ^',
    },
    {
      rule: 'a byte-order mark is not a column of line 1',
      text: '\uFEFFcustomers: [a\nb: c\n',
      line: 2,
      column: 1,
      excerpt: '2 | b: c\n  | ^',
    },
    {
      rule: 'a byte-order mark does not shift a column on line 1',
      text: '\uFEFFkey: a: b\n',
      line: 1,
      column: 6,
      excerpt: '1 | key: a: b\n  |      ^',
    },
  ])('$rule', ({ text, line, column, excerpt }) => {
    const error = firstError(text);
    expect({ line: error.line, column: error.column, excerpt: error.excerpt }).toEqual({ line, column, excerpt });
    const quoted = error.excerpt.split('\n')[0]!.replace(/^\d+ \|( |$)/, '');
    expect(quoted).toBe((text.replace(/^\uFEFF/, '').split(/\r?\n/)[line - 1] ?? '').replace(/\r$/, ''));
  });

  it('reports every syntax error of the file, not only the first', () => {
    const parsed = parseYamlDocument('a: [1\nb: "x\n');
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.errors.length).toBeGreaterThan(1);
  });
});

describe('sourceExcerpt', () => {
  it('cuts a long line around the column and keeps the caret under it', () => {
    const text = `${'a'.repeat(150)}X${'b'.repeat(150)}`;
    const [quoted, caret] = sourceExcerpt(text, 1, 151).split('\n') as [string, string];
    expect(quoted.startsWith('1 | …')).toBe(true);
    expect(quoted.endsWith('…')).toBe(true);
    expect(quoted[caret.indexOf('^')]).toBe('X');
  });

  it('widens the caret over the span the error covers on its line', () => {
    expect(sourceExcerpt('key: value', 1, 6, 5)).toBe('1 | key: value\n  |      ^^^^^');
  });
});
