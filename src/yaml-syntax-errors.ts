// YAML syntax errors as deskbot reports them (directory and policy files): the line and column the yaml library
// reports, and an excerpt quoting exactly that line with a caret under that column. Leaves out the library's own
// excerpt (`prettyErrors`), which adds the line above when the column is at the start of a line and so seemed to quote it.
import { LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';

/** One syntax error of a YAML file: where it is (1-based, as editors count) and the line it is on. */
export interface YamlSyntaxError {
  message: string;
  line: number;
  column: number;
  /** `  6 | <the line>` and under it the caret, for a terminal; no trailing newline. */
  excerpt: string;
}

const maxExcerptWidth = 100;

/**
 * The excerpt of `text` at `line`:`column` (both 1-based): the line with its number, and a caret under the column,
 * `length` carets wide when the error spans more of that line. Tabs before the column are kept in the caret line so
 * the caret stands under the character; a line past `maxExcerptWidth` is cut around the column with `…`.
 */
export function sourceExcerpt(text: string, line: number, column: number, length = 1): string {
  let source = (text.split('\n')[line - 1] ?? '').replace(/\r$/, '');
  let at = column - 1;
  if (source.length > maxExcerptWidth) {
    const start = Math.max(0, Math.min(at - maxExcerptWidth / 2, source.length - maxExcerptWidth));
    const end = start + maxExcerptWidth;
    source = `${start > 0 ? '…' : ''}${source.slice(start, end)}${end < source.length ? '…' : ''}`;
    at = at - start + (start > 0 ? 1 : 0);
  }
  const number = String(line);
  const padding = source.slice(0, at).replace(/[^\t]/g, ' ') + ' '.repeat(Math.max(0, at - source.length));
  const carets = '^'.repeat(Math.max(1, Math.min(length, source.length - at)));
  return `${number} |${source ? ` ${source}` : ''}\n${' '.repeat(number.length)} | ${padding}${carets}`;
}

/** Where and what each error of a parsed document is, with the excerpt of its line. */
function describe(text: string, lineCounter: LineCounter, errors: readonly YAMLError[]): YamlSyntaxError[] {
  return errors.map((error) => {
    const [from, to] = error.pos;
    const { line, col } = lineCounter.linePos(from);
    const end = lineCounter.linePos(to);
    const length = end.line === line ? end.col - col : 1;
    const excerpt = sourceExcerpt(text, line, col, length);
    // A construct left open (a quote, a bracket) is reported where the text ends, often an empty last line.
    return { message: error.message, line, column: col, excerpt: from >= text.length ? `${excerpt} end of file` : excerpt };
  });
}

/**
 * Parses one YAML document, and on syntax errors returns them all instead. A byte-order mark is dropped first: the
 * library counts it as a column of line 1, which no editor shows.
 */
export function parseYamlDocument(text: string): { ok: true; document: Document; lineCounter: LineCounter } | { ok: false; errors: YamlSyntaxError[] } {
  const source = text.replace(/^\uFEFF/, '');
  const lineCounter = new LineCounter();
  const document = parseDocument(source, { lineCounter, prettyErrors: false });
  if (document.errors.length) return { ok: false, errors: describe(source, lineCounter, document.errors) };
  return { ok: true, document, lineCounter };
}

/** An error's place and excerpt as the file's problem list prints it: ` (line 6, column 3)` and the indented excerpt. */
export function formatYamlSyntaxError(error: YamlSyntaxError, indent: string): string {
  return `${error.message} (line ${error.line}, column ${error.column})\n${error.excerpt
    .split('\n')
    .map((line) => `${indent}${line}`)
    .join('\n')}`;
}
