// slack/manifest.yml names everything deskbot uses: each Web API method's scope, the slash command, the events it
// listens to, and the one request URL (POST /slack/events) for events, commands and interactivity.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { slackMethodTiers } from '../../../src/channels/slack/rate-limiter.ts';
import { slackEventsPath } from '../../../src/channels/slack/slack-channel.ts';
import { configSchema } from '../../../src/config.ts';

const manifest = parse(fs.readFileSync(new URL('../../../slack/manifest.yml', import.meta.url), 'utf8'));

/** The scope each Web API method deskbot calls needs (https://docs.slack.dev/reference/methods). */
const scopeOf: Record<keyof typeof slackMethodTiers, string | null> = {
  'auth.test': null,
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'conversations.open': 'im:write',
  'files.completeUploadExternal': 'files:write',
  'files.getUploadURLExternal': 'files:write',
  'usergroups.users.list': 'usergroups:read',
  'views.open': null,
  'views.publish': null,
  'views.update': null,
};

describe('slack/manifest.yml', () => {
  it('grants the scope of every Web API method deskbot calls, and the slash command', () => {
    const scopes: string[] = manifest.oauth_config.scopes.bot;
    for (const scope of Object.values(scopeOf)) if (scope) expect(scopes).toContain(scope);
    expect(scopes).toContain('commands');
  });

  it('declares the default slash command, with escaped mentions, at /slack/events', () => {
    const command = manifest.features.slash_commands[0];
    expect(command.command).toBe(configSchema.parse({}).SLACK_COMMAND);
    expect(command.should_escape).toBe(true);
    expect(new URL(command.url).pathname).toBe(slackEventsPath);
  });

  it('sends events and interactivity to /slack/events, with the App Home tab on', () => {
    expect(new URL(manifest.settings.event_subscriptions.request_url).pathname).toBe(slackEventsPath);
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(['app_home_opened']);
    expect(manifest.settings.interactivity).toEqual({ is_enabled: true, request_url: manifest.settings.event_subscriptions.request_url });
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
  });
});
