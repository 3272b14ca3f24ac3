// The close modal (issue 12 points 11 and 13): every exclusion of the terms with its customer sentence, and the
// exclusion unsupported-version preselected when the request named an unsupported version.
import { describe, expect, it } from 'vitest';
import { closeButtonValue, parseButtonValue } from '../../../../src/channels/slack/blocks/ticket-message.ts';
import { closeModal } from '../../../../src/channels/slack/views/close-modal.ts';
import { exclusionCustomerText, exclusionIds } from '../../../../src/domain/billing.ts';

type Option = { value: string; description?: { text: string } };
type Block = { block_id?: string; element?: { options?: Option[]; initial_option?: Option }; text?: { text: string } };

function exclusionBlock(view: Record<string, unknown>): Block {
  return (view.blocks as Block[]).find((block) => block.element?.options?.some((option) => option.value === 'unsupported-version'))!;
}

describe('closeModal', () => {
  it('offers every exclusion with the start of the sentence the customer reads', () => {
    const block = exclusionBlock(closeModal({ requestId: 'SR-2026-000123' }));
    expect(block.element!.options!.map((option) => option.value)).toEqual(exclusionIds);
    for (const option of block.element!.options!) {
      const sentence = exclusionCustomerText(option.value as (typeof exclusionIds)[number]);
      expect(option.description!.text.length).toBeLessThanOrEqual(75);
      expect(sentence.startsWith(option.description!.text.replace(/…$/, ''))).toBe(true);
    }
    expect(block.element!.initial_option).toBeUndefined();
  });

  it('preselects unsupported-version when the request named an unsupported version', () => {
    const view = closeModal({ requestId: 'SR-2026-000123', suggestExclusion: 'unsupported-version' });
    expect(exclusionBlock(view).element!.initial_option!.value).toBe('unsupported-version');
    expect((view.blocks as Block[])[0]!.text!.text).toContain('unsupported-version* is suggested');
  });

  it.each([
    ['a plain request ID', 'SR-2026-000123', { requestId: 'SR-2026-000123' }],
    ['the count of closes', 'SR-2026-000123#closes=2', { requestId: 'SR-2026-000123', closes: 2 }],
    [
      'the suggested exclusion',
      'SR-2026-000123#closes=0#suggest=unsupported-version',
      { requestId: 'SR-2026-000123', closes: 0, suggest: 'unsupported-version' },
    ],
  ])('the Close button value carries %s', (_rule, value, expected) => {
    expect(parseButtonValue(value)).toEqual(expected);
  });

  it('the Close button of a request with an unsupported version carries the suggestion', () => {
    expect(closeButtonValue({ requestId: 'SR-2026-000123', chargeDecision: null }, 'unsupported-version')).toBe(
      'SR-2026-000123#closes=0#suggest=unsupported-version',
    );
  });
});
