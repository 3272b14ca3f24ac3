// The resume point moves only over a contiguous run of committed UIDs; skipped (failed) UIDs hold it back, and
// UIDs committed above it are not searched again. Saves are throttled on a fixed clock.
import { describe, expect, it } from 'vitest';
import { ResumeFrontier, SaveThrottle } from '../../../../src/channels/email/imap/resume-frontier.ts';

const start = { mailbox: 'INBOX', uidValidity: 7n, lastUid: 10n };

describe('BatchFrontier.commit', () => {
  it.each([
    { rule: 'in-order commits move the resume point each time', uids: [11, 12, 13], commits: [11, 12, 13], skipped: [], lastUid: 13n, ahead: [] },
    { rule: 'a commit above an open UID does not move it', uids: [11, 12, 13], commits: [12, 13], skipped: [], lastUid: 10n, ahead: [12, 13] },
    {
      rule: 'the lowest commit then moves it over the whole committed run',
      uids: [11, 12, 13, 14],
      commits: [13, 12, 11],
      skipped: [],
      lastUid: 13n,
      ahead: [],
    },
    { rule: 'UIDs with gaps between them count as contiguous in the batch', uids: [11, 20, 35], commits: [11, 20, 35], skipped: [], lastUid: 35n, ahead: [] },
    { rule: 'an uncommitted UID in the batch holds the resume point back', uids: [11, 12, 13], commits: [11, 13], skipped: [], lastUid: 11n, ahead: [13] },
    {
      rule: 'a UID skipped after a bug (not in this batch) holds it back too',
      uids: [11, 13, 14],
      commits: [11, 13, 14],
      skipped: [12],
      lastUid: 11n,
      ahead: [13, 14],
    },
  ])('$rule', ({ uids, commits, skipped, lastUid, ahead }) => {
    const frontier = new ResumeFrontier(start);
    for (const uid of skipped) frontier.skipped.add(uid);
    const batch = frontier.batch(uids);
    for (const uid of commits) batch.commit(uid);
    expect(frontier.position.lastUid).toBe(lastUid);
    expect(frontier.dirty).toBe(lastUid !== start.lastUid);
    expect([...frontier.committedAhead].sort((a, b) => a - b)).toEqual(ahead);
  });
});

describe('ResumeFrontier', () => {
  it.each([
    { rule: 'a search answer is filtered to UIDs above the resume point, ascending', found: [12, 9, 11, 10], skipped: [], ahead: [], expected: [11, 12] },
    { rule: '`n:*` returning only the highest UID below n yields nothing', found: [4], skipped: [], ahead: [], expected: [] },
    { rule: 'skipped and already committed UIDs are not handed out again', found: [11, 12, 13, 14], skipped: [12], ahead: [14], expected: [11, 13] },
  ])('$rule', ({ found, skipped, ahead, expected }) => {
    const frontier = new ResumeFrontier(start);
    for (const uid of skipped) frontier.skipped.add(uid);
    for (const uid of ahead) frontier.committedAhead.add(uid);
    expect(frontier.searchFrom).toBe(11n);
    expect(frontier.candidates(found)).toEqual(expected);
  });

  it('stays dirty when a commit moved the position during a save', () => {
    const frontier = new ResumeFrontier(start);
    frontier.advance(11);
    const saving = frontier.position;
    frontier.advance(12);
    frontier.saved(saving);
    expect(frontier.dirty).toBe(true);
    frontier.saved(frontier.position);
    expect(frontier.dirty).toBe(false);
  });
});

describe('SaveThrottle', () => {
  const t0 = Date.parse('2026-11-30T10:00:00Z');
  it.each([
    { rule: 'the first save is due at once', savedAt: undefined, now: t0, expected: 0 },
    { rule: 'a save right after the last one waits the whole interval', savedAt: t0, now: t0, expected: 250 },
    { rule: 'part of the interval gone: the rest is waited', savedAt: t0, now: t0 + 100, expected: 150 },
    { rule: 'the interval gone: save now', savedAt: t0, now: t0 + 250, expected: 0 },
  ])('$rule', ({ savedAt, now, expected }) => {
    const throttle = new SaveThrottle(250);
    if (savedAt !== undefined) throttle.saving(savedAt);
    expect(Math.max(0, throttle.waitMs(now))).toBe(expected);
  });
});
