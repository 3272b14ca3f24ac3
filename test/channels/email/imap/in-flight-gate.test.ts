// Which fetched message may be held and which may start: handler slots, one message fetched ahead, the byte budget,
// and the same-sender / In-Reply-To ordering rule that keeps a follow-up from opening a second ticket.
import { describe, expect, it } from 'vitest';
import { InFlightGate, ownKeys, relatedKeys, type GateEnvelope } from '../../../../src/channels/email/imap/in-flight-gate.ts';

const request: GateEnvelope = { from: [{ address: 'Ana@Example.com' }], messageId: '<req-1@example.com>' };
const followUp: GateEnvelope = { from: [{ address: 'ana@example.com' }], messageId: '<req-2@example.com>' };
const colleagueReply: GateEnvelope = { from: [{ address: 'bo@example.com' }], messageId: '<re-1@example.com>', inReplyTo: '<req-1@example.com>' };
const stranger: GateEnvelope = { from: [{ address: 'cy@example.org' }], messageId: '<other@example.org>' };

describe('message keys', () => {
  it.each([
    { rule: 'a message is known by its lower-cased sender and its Message-ID', envelope: request, own: ['from:ana@example.com', 'id:<req-1@example.com>'] },
    { rule: 'no envelope: no keys', envelope: undefined, own: [] },
  ])('$rule', ({ envelope, own }) => {
    expect(ownKeys(envelope)).toEqual(own);
  });

  it('a reply is related to its sender and to every message it answers', () => {
    expect(relatedKeys({ ...colleagueReply, inReplyTo: '<a@x> <b@x>' })).toEqual(['from:bo@example.com', 'id:<a@x>', 'id:<b@x>']);
  });
});

describe('InFlightGate', () => {
  it.each([
    { rule: 'a follow-up from the same sender waits for the running request', running: request, next: followUp, canStart: false },
    { rule: 'a reply to the running request waits for it', running: request, next: colleagueReply, canStart: false },
    { rule: 'an unrelated message runs alongside', running: request, next: stranger, canStart: true },
  ])('$rule', ({ running, next, canStart }) => {
    const gate = new InFlightGate({ limit: () => 4, maxBytes: 1_000 });
    gate.hold(10);
    gate.start(running);
    gate.hold(10);
    expect(gate.canStart(next)).toBe(canStart);
  });

  it('a handler that keeps the order itself (the leader storing) lets related messages run alongside, within the limit', () => {
    const gate = new InFlightGate({ limit: () => 2, maxBytes: 1_000, related: false });
    gate.hold(10);
    gate.start(request);
    gate.hold(10);
    expect(gate.canStart(followUp)).toBe(true);
    gate.start(followUp);
    gate.hold(10);
    expect(gate.canStart(stranger)).toBe(false);
  });

  it('a finished message frees its sender and Message-ID, counted per holder', () => {
    const gate = new InFlightGate({ limit: () => 4, maxBytes: 1_000 });
    const leaveFirst = gate.start(request);
    const leaveSecond = gate.start({ from: request.from });
    leaveFirst();
    expect(gate.canStart(followUp)).toBe(false);
    expect(gate.canStart(colleagueReply)).toBe(true);
    leaveSecond();
    expect(gate.canStart(followUp)).toBe(true);
  });

  it.each([
    { rule: 'with nothing held one message is always admitted, however large', held: [], cost: 5_000, limit: 1, canHold: true },
    { rule: 'one message is fetched ahead of the running ones', held: [10], cost: 10, limit: 1, canHold: true },
    { rule: 'no more than limit + 1 messages are held', held: [10, 10], cost: 10, limit: 1, canHold: false },
    { rule: 'held bytes stay within the budget', held: [600], cost: 500, limit: 8, canHold: false },
    { rule: 'a message that fits the budget is held', held: [500], cost: 500, limit: 8, canHold: true },
  ])('$rule', ({ held, cost, limit, canHold }) => {
    const gate = new InFlightGate({ limit: () => limit, maxBytes: 1_000 });
    for (const bytes of held) gate.hold(bytes);
    expect(gate.canHold(cost)).toBe(canHold);
  });

  it('releasing bytes and messages makes room again; the handler limit follows the limit function', () => {
    let limit = 2;
    const gate = new InFlightGate({ limit: () => limit, maxBytes: 1_000 });
    gate.hold(900);
    gate.start(request);
    expect(gate.canHold(200)).toBe(false);
    gate.releaseBytes(900);
    expect(gate.canHold(200)).toBe(true);
    expect(gate.canStart(stranger)).toBe(true);
    limit = 1;
    expect(gate.canStart(stranger)).toBe(false);
    gate.release(true);
    expect([gate.held, gate.running, gate.heldBytes]).toEqual([0, 0, 0]);
  });
});
