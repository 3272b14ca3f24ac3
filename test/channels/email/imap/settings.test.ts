// The IMAP settings as read from the environment: the processed folder implies move, IMAP_START, AUTO_NOTICE_MAX_AGE.
import { describe, expect, it } from 'vitest';
import { imapSettingsFromConfig } from '../../../../src/channels/email/imap/settings.ts';
import { loadConfig } from '../../../../src/config.ts';

const base = { IMAP_HOST: 'mail.example', IMAP_USER: 'support', IMAP_PASSWORD: 'secret' };

describe('imapSettingsFromConfig', () => {
  it.each([
    { rule: 'nothing set: flag, folder Processed, start new', env: {}, action: 'flag', folder: 'Processed', start: { kind: 'new' } },
    { rule: 'a folder alone means move', env: { IMAP_PROCESSED_FOLDER: 'Archive/Deskbot' }, action: 'move', folder: 'Archive/Deskbot', start: { kind: 'new' } },
    { rule: 'move without a folder moves to Processed', env: { IMAP_PROCESSED_ACTION: 'move' }, action: 'move', folder: 'Processed', start: { kind: 'new' } },
    { rule: 'IMAP_START=all', env: { IMAP_START: 'all' }, action: 'flag', folder: 'Processed', start: { kind: 'all' } },
    {
      rule: 'IMAP_START=since:<day>',
      env: { IMAP_START: 'since:2026-11-01' },
      action: 'flag',
      folder: 'Processed',
      start: { kind: 'since', day: new Date('2026-11-01T00:00:00Z') },
    },
  ])('$rule', ({ env, action, folder, start }) => {
    const settings = imapSettingsFromConfig(loadConfig({ ...base, ...env }));
    expect(settings).toMatchObject({ processedAction: action, processedFolder: folder, start });
  });

  it.each([
    {
      rule: 'a folder with IMAP_PROCESSED_ACTION=flag says why it is not used',
      env: { IMAP_PROCESSED_FOLDER: 'Done', IMAP_PROCESSED_ACTION: 'flag' },
      names: 'IMAP_PROCESSED_FOLDER',
    },
    { rule: 'an unknown IMAP_START', env: { IMAP_START: 'yesterday' }, names: 'IMAP_START' },
    { rule: 'an IMAP_START day that does not exist', env: { IMAP_START: 'since:2026-02-30' }, names: 'IMAP_START' },
    { rule: 'the processed folder is the mailbox read', env: { IMAP_PROCESSED_FOLDER: 'inbox' }, names: 'IMAP_PROCESSED_FOLDER: inbox is the mailbox read' },
    {
      rule: 'the processed folder is the mailbox read, written with the other delimiter',
      env: { IMAP_MAILBOX: 'Support.Intake', IMAP_PROCESSED_FOLDER: 'Support/Intake' },
      names: 'is the mailbox read',
    },
    { rule: 'an unreadable AUTO_NOTICE_MAX_AGE', env: { AUTO_NOTICE_MAX_AGE: 'two days' }, names: 'AUTO_NOTICE_MAX_AGE' },
  ])('refuses at start: $rule', ({ env, names }) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(new RegExp(names));
  });

  it.each([
    { text: '48h', ms: 48 * 3_600_000 },
    { text: '90m', ms: 90 * 60_000 },
    { text: '2d', ms: 2 * 86_400_000 },
  ])('reads AUTO_NOTICE_MAX_AGE=$text', ({ text, ms }) => {
    expect(loadConfig({ ...base, AUTO_NOTICE_MAX_AGE: text }).AUTO_NOTICE_MAX_AGE).toBe(ms);
  });
});
