// Whether a customer's mail agrees to the paid-support terms (issue 12 point 9): only the customer's own words count.
import { describe, expect, it } from 'vitest';
import { agreesToTerms, asksForTerms } from '../../src/domain/terms-agreement.ts';

describe('agreesToTerms', () => {
  it.each([
    ['the words asked for', 'I agree', true],
    ['any case and spacing, with punctuation', 'Hello,\n\ni  AGREE.\n\nAna', true],
    ['in a sentence', 'Yes, I agree to the terms.', true],
    ['"I disagree" does not agree', 'I disagree with the fee.', false],
    ['"I do not agree" does not agree', 'I do not agree.', false],
    ['"I agreed before" is not the words asked for', 'I agreed before by phone', false],
    ['a quote of our question does not agree', 'Logs attached.\n\n> reply to this message with the words "I agree"\n', false],
    [
      'our German acknowledgement quoted below an Outlook header block does not agree',
      'Version 10.0.2\n\nVon: Support <s@x.example>\nGesendet: Montag, 30. November 2026 15:08\n\nAntworten Sie auf diese Nachricht mit den Worten "I agree". Wir fragen nur einmal.',
      false,
    ],
    [
      'our Swedish acknowledgement quoted below an Outlook header block does not agree',
      'Version 9.4.2\n\nFrån: Support <s@x.example>\nSkickat: den 30 november 2026 15:08\n\nsvara på det här meddelandet med orden "I agree".',
      false,
    ],
    ['an empty mail does not agree', '', false],
    ['"hereby" agrees', 'I hereby agree to your support terms', true],
    ['agreement with a request to go on agrees', 'I agree, please go ahead.', true],
    ['a condition before it does not agree', 'Before I agree to anything, please send me your support terms and tell me the price.', false],
    ['a question does not agree', 'Do I agree? No.', false],
    ['"if I agree" does not agree', 'What happens if I agree to the terms?', false],
    ['a condition after it does not agree', 'I agree, but only if the fee is waived.', false],
    ['agreeing with a statement is not accepting the terms', 'I agree that the VPN is unstable.', false],
    ['"I would agree" does not agree', 'I would agree if the fee were lower.', false],
    ['a plain "I agree" after a question agrees', 'Thanks for the explanation. I agree.', true],
    ['"No problem, I agree." agrees', 'No problem, I agree.', true],
  ])('%s', (_rule, body, expected) => {
    expect(agreesToTerms(body)).toBe(expected);
  });
});

describe('asksForTerms', () => {
  it.each([
    ['"Please send me the terms"', 'Please send me the terms', true],
    ['asking before agreeing', 'Before I agree to anything, please send me your support terms and tell me the price.', true],
    ['the terms of service by e-mail', 'Could you email us a copy of your terms of service?', true],
    ['where to read them', 'Where can I read your support terms?', true],
    ['seeing them first', 'Can I see the terms first?', true],
    ['German', 'Bitte senden Sie mir Ihre Supportbedingungen zu.', true],
    ['Czech', 'Pošlete mi prosím Vaše podmínky podpory.', true],
    ['Swedish', 'Kan ni skicka villkoren till mig?', true],
    ['agreeing is not asking', 'Yes, I agree to the terms.', false],
    ['a question that mentions no terms', 'Where is my licence number?', false],
    [
      'our own offer quoted back without quote marks asks for nothing',
      'please accept our support terms (we send them on request): reply to this message',
      false,
    ],
    ['our German offer quoted back asks for nothing', 'unseren Supportbedingungen zuzustimmen (wir senden sie Ihnen auf Anfrage zu)', false],
    ['our Czech offer quoted back asks for nothing', 'prosíme Vás o souhlas s našimi podmínkami podpory (zašleme je na vyžádání)', false],
    ['our Swedish offer quoted back asks for nothing', 'ber vi er godkänna våra supportvillkor (vi skickar dem på begäran)', false],
    ['a quoted request is not this mail asking', 'Thanks.\n\n> Please send me the terms\n', false],
    ['an empty mail', '', false],
  ])('%s', (_rule, body, expected) => {
    expect(asksForTerms(body)).toBe(expected);
  });
});
