// Customer text made safe to reuse (issue 13 points 10, 11, 13): bidi controls and control characters, subject caps,
// our own address with a +tag. Table-driven, one case per rule.
import { describe, expect, it } from 'vitest';
import { capSubject, isOwnAddress, maxSubjectLength, neutraliseCustomerLine, neutraliseCustomerText } from '../../../src/domain/mail/customer-text.ts';

describe('neutraliseCustomerLine', () => {
  it.each([
    ['bidi override U+202E is removed', 'invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['embeddings U+202A–U+202D are removed', 'a\u202Ab\u202Bc\u202Cd\u202De', 'abcde'],
    ['isolates U+2066–U+2069 are removed', '\u2066x\u2067y\u2068z\u2069', 'xyz'],
    ['the Arabic letter mark is removed', 'a\u061Cb', 'ab'],
    ['NUL is removed', 'a\u0000b', 'ab'],
    ['ESC (terminal colours in logs) is removed', '\u001B[31mred\u001B[0m', '[31mred[0m'],
    ['NEL breaks the line; other C1 controls and DEL are removed', 'a\u0085b\u009Bc\u007Fd', 'a bcd'],
    ['CR LF cannot start a new header line', 'Hello\r\nBcc: victim@example.com', 'Hello Bcc: victim@example.com'],
    ['a bare CR or LF becomes a space', 'one\rtwo\nthree', 'one two three'],
    ['Unicode line and paragraph separators become a space', 'a\u2028b\u2029c', 'a b c'],
    ['TAB and runs of white space become one space, trimmed', '  a\t\t b  ', 'a b'],
    ['ordinary text in any script is kept', 'Přihlášení selhalo — ログイン 🙂', 'Přihlášení selhalo — ログイン 🙂'],
  ])('%s', (_rule, input, expected) => {
    expect(neutraliseCustomerLine(input)).toBe(expected);
  });
});

describe('neutraliseCustomerText', () => {
  it.each([
    ['line breaks are kept as LF', 'a\r\nb\rc\nd', 'a\nb\nc\nd'],
    ['TAB is kept', 'a\tb', 'a\tb'],
    ['bidi controls are removed from a body', 'see \u202Eelif\u202C now', 'see elif now'],
    ['NUL and other controls are removed from a body', 'a\u0000b\u0007c\u001Bd', 'abcd'],
  ])('%s', (_rule, input, expected) => {
    expect(neutraliseCustomerText(input)).toBe(expected);
  });
});

describe('capSubject', () => {
  const long = 'x'.repeat(300);
  it.each([
    ['a subject of 250 characters is kept whole', 'a'.repeat(250), 'a'.repeat(250)],
    ['a longer subject is cut to 250 with an ellipsis', long, `${'x'.repeat(249)}…`],
    ['a tag inside the kept part stays where it is', `[SR-2026-000123] ${long}`, `[SR-2026-000123] ${'x'.repeat(232)}…`],
    ['a tag the cut removed is appended again', `${long} [SR-2026-000123]`, `${'x'.repeat(232)}… [SR-2026-000123]`],
    ['a bare ID the cut removed is appended again as a tag', `${long} sr-2026-000123`, `${'x'.repeat(232)}… [SR-2026-000123]`],
    ['characters are code points: no surrogate pair is split', '🙂'.repeat(300), `${'🙂'.repeat(249)}…`],
  ])('%s', (_rule, input, expected) => {
    const capped = capSubject(input);
    expect(capped).toBe(expected);
    expect([...capped].length).toBeLessThanOrEqual(maxSubjectLength);
  });
});

describe('isOwnAddress', () => {
  const support = 'support@desk.example';
  it.each([
    ['the support address itself', 'support@desk.example', true],
    ['with a +tag', 'support+anything@desk.example', true],
    ['with an empty +tag', 'support+@desk.example', true],
    ['in other case', 'Support+Billing@DESK.example', true],
    ['another local part', 'supporter@desk.example', false],
    ['the same local part at another domain', 'support+x@evil.example', false],
    ['a subdomain', 'support@mail.desk.example', false],
    ['no address', null, false],
  ])('%s', (_rule, address, expected) => {
    expect(isOwnAddress(address, support)).toBe(expected);
  });

  it('recognises mail to a tagged support address configured with a tag', () => {
    expect(isOwnAddress('support@desk.example', 'support+desk@desk.example')).toBe(true);
  });
});
