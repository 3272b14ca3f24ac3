// Slash-command free text decoded once into what the engineer typed, table-driven: each case names the Slack form it pins.
import { describe, expect, it } from 'vitest';
import { decodeSlackText } from '../../../src/channels/slack/commands/slack-text.ts';

describe('decodeSlackText', () => {
  it.each([
    ['the three entities become the characters typed', 'Use a &lt;tag&gt; &amp; see', 'Use a <tag> & see'],
    ['an entity is decoded once: &amp;lt; typed as text stays &lt;', 'write &amp;lt; in HTML', 'write &lt; in HTML'],
    ['a labelled link becomes "label (url)"', 'see <https://kb.example.com/a|kb article>', 'see kb article (https://kb.example.com/a)'],
    ['a bare link is its URL', 'see <https://kb.example.com/a>', 'see https://kb.example.com/a'],
    ['a link whose label is its URL is the URL once', '<https://kb.example.com/a|https://kb.example.com/a>', 'https://kb.example.com/a'],
    ['an auto-linked domain is the domain as typed', 'go to <http://kb.example.com|kb.example.com>', 'go to kb.example.com'],
    ['a link keeps the & of its query string', '<https://x.example/?a=1&amp;b=2|x &amp; y>', 'x & y (https://x.example/?a=1&b=2)'],
    ['a mailto link is the address', 'mail <mailto:a@b.example|a@b.example>', 'mail a@b.example'],
    ['a named user mention is @name', 'ask <@U123|jane>', 'ask @jane'],
    ['a user mention without a name keeps its ID', 'ask <@U123>', 'ask @U123'],
    ['a named channel is #name', 'in <#C1|ops>', 'in #ops'],
    ['@here and @channel are words, not broadcasts', '<!here> and <!channel>', '@here and @channel'],
    ['a user group is its handle', '<!subteam^S1|@support>', '@support'],
    ['text without sequences is unchanged, spacing kept', 'Line one\n  line two', 'Line one\n  line two'],
  ])('%s', (_rule, text, expected) => {
    expect(decodeSlackText(text)).toBe(expected);
  });
});
