// What start-up tells the operator (banner and `listening` line): the right places, and never a password.
import { describe, expect, it } from 'vitest';
import { formatBanner } from '../src/cli/banner.ts';
import { loadConfig } from '../src/config.ts';
import { describeStartup } from '../src/startup-summary.ts';

const base = { DATA_DIR: '/srv/deskbot/data' };

describe('describeStartup', () => {
  it.each([
    {
      name: 'embedded default: PGlite, inbox and outbox folders, Slack off, limits per process',
      env: {},
      port: 3000,
      kind: 'pglite',
      expected: {
        httpUrl: 'http://localhost:3000',
        database: 'embedded PostgreSQL (PGlite) in /srv/deskbot/data/pglite',
        mailIn: 'drop .eml files into /srv/deskbot/data/inbox/',
        mailOut: 'written as .eml files to /srv/deskbot/data/outbox/',
        slack: 'off (what would be posted is logged)',
        rateLimits: 'per process',
      },
    },
    {
      name: 'production: passwords in DATABASE_URL, SMTP_URL and REDIS_URL masked; IMAP and Slack HTTP named',
      env: {
        HOST: '127.0.0.1',
        DATABASE_URL: 'postgresql://desk:pg-pass@db.internal:5432/deskbot',
        SMTP_URL: 'smtp://mailer:smtp-pass@smtp.internal:587',
        REDIS_URL: 'redis://:redis-pass@redis.internal:6379',
        IMAP_HOST: 'imap.internal',
        IMAP_USER: 'support',
        IMAP_PASSWORD: 'imap-pass',
        SLACK_BOT_TOKEN: 'xoxb-1',
        SLACK_SIGNING_SECRET: 'signing',
      },
      port: 8080,
      kind: 'postgres',
      expected: {
        httpUrl: 'http://127.0.0.1:8080',
        database: 'postgresql://desk:***@db.internal:5432/deskbot',
        mailIn: 'IMAP support@imap.internal:993 INBOX (IDLE)',
        mailOut: 'SMTP smtp://mailer:***@smtp.internal:587',
        slack: 'on, events at POST http://127.0.0.1:8080/slack/events',
        rateLimits: 'shared over Redis redis://:***@redis.internal:6379',
      },
    },
    {
      name: 'Slack over Socket Mode',
      env: { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' },
      port: 3000,
      kind: 'pglite',
      expected: { slack: 'on, Socket Mode' },
    },
  ] as const)('$name', ({ env, port, kind, expected }) => {
    const summary = describeStartup(loadConfig({ ...base, ...env }), { port, databaseKind: kind });
    expect(summary).toMatchObject(expected);
    expect(JSON.stringify(summary)).not.toMatch(/pg-pass|smtp-pass|redis-pass|imap-pass|xoxb|signing|xapp/);
  });
});

describe('formatBanner', () => {
  it('names the URLs, the places and the control socket, one labelled line each', () => {
    const summary = describeStartup(loadConfig(base), { port: 3000, databaseKind: 'pglite' });
    const banner = formatBanner(summary, '/srv/deskbot/data/control.sock');
    expect(banner).toContain('deskbot is running');
    expect(banner).toMatch(/\n {2}HTTP {9}http:\/\/localhost:3000 {2}\(http:\/\/localhost:3000\/healthz, http:\/\/localhost:3000\/metrics\)\n/);
    expect(banner).toMatch(/\n {2}mail in {6}drop \.eml files into \/srv\/deskbot\/data\/inbox\/\n/);
    expect(banner).toMatch(/\n {2}mail out {5}written as \.eml files to \/srv\/deskbot\/data\/outbox\/\n/);
    expect(banner).toMatch(/\n {2}admin .*\/srv\/deskbot\/data\/control\.sock/);
  });
});
