// Customer text in Slack mrkdwn: escaped everywhere, and shown literally (formatting characters as lookalikes) where it
// sits inside deskbot's own formatting, so a subject like `Server *down* _now_` cannot break a bold line around it.
import { describe, expect, it } from 'vitest';
import { callersReply } from '../../../src/channels/slack/blocks/command-replies.ts';
import { eventText } from '../../../src/channels/slack/blocks/event-message.ts';
import { customerSuspendedText } from '../../../src/channels/slack/blocks/notices.ts';
import { escapeLine, literalLine } from '../../../src/channels/slack/escape.ts';
import { defaultPolicy } from '../../../src/domain/policy.ts';

const subject = 'Server *down* _now_ ~x~ `code`';
/** The subject as it must show: the same words, each formatting character a lookalike (∗ ˍ ∼ ˋ). */
const shown = 'Server \u2217down\u2217 \u02CDnow\u02CD \u223Cx\u223C \u02CBcode\u02CB';

describe('literalLine', () => {
  it.each([
    ['bold, italic, strike and code characters become lookalikes', subject, shown],
    ['a lone formatting character cannot open formatting that a later one of ours closes', 'a*b', 'a\u2217b'],
    ['a code fence becomes three lookalikes', '```rm -rf```', '\u02CB\u02CB\u02CBrm -rf\u02CB\u02CB\u02CB'],
    ['&, < and > stay escaped, so no mention or link gets through', '*<!channel>* & <@U1>', '\u2217&lt;!channel&gt;\u2217 &amp; &lt;@U1&gt;'],
    ['line breaks collapse to one line', 'one\n*two*', 'one \u2217two\u2217'],
    ['text without formatting characters is escapeLine as it was', 'Mail server down', 'Mail server down'],
  ])('%s', (_rule, text, expected) => {
    expect(literalLine(text)).toBe(expected);
  });

  it('cuts at the same length as escapeLine: each lookalike is one character', () => {
    expect(literalLine('*'.repeat(300), 250)).toBe(`${'\u2217'.repeat(249)}…`);
  });

  it('leaves free text to escapeLine, which keeps formatting characters as typed (pasted code, snake_case)', () => {
    expect(escapeLine('run `make_all` *now*')).toBe('run `make_all` *now*');
  });
});

describe("customer text inside deskbot's formatting in threads and replies", () => {
  const policy = defaultPolicy();
  it.each([
    [
      'the subject of a mail in the ticket thread',
      eventText({ type: 'mail-received', at: new Date(), actor: 'jane@acme.example', detail: { subject } }, policy),
      `: *${shown}*`,
    ],
    [
      'the subject of mail from a suspended customer',
      customerSuspendedText({ customer: 'Late', customerKey: 'LATE', since: '2026-11-01', reason: 'unpaid', from: 'lea@late.example', subject }),
      `Subject: *${shown}*.`,
    ],
    [
      'a customer name in the callers reply',
      callersReply('acme', [{ key: 'ACME_EU', name: 'Acme *EU* _Ltd_', supportLevel: 'normal', callers: [] }]),
      // The key sits in a code span, where only a backtick could end it and the directory allows none: it stays as typed.
      '*Acme \u2217EU\u2217 \u02CDLtd\u02CD* (`ACME_EU`, normal support)',
    ],
  ])('%s', (_rule, text, expected) => {
    expect(text).toContain(expected);
  });
});
