// The log format (JSON lines, or human lines on a terminal) and redaction, which must hold in both formats.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, resolveLogFormat } from '../src/logger.ts';

function capture() {
  let text = '';
  const destination = new Writable({
    write(chunk, _encoding, done) {
      text += chunk;
      done();
    },
  });
  return { destination, text: () => text };
}

describe('resolveLogFormat', () => {
  it.each([
    { name: 'auto on a terminal is pretty', format: 'auto', terminal: true, expected: 'pretty' },
    { name: 'auto on a pipe is JSON', format: 'auto', terminal: false, expected: 'json' },
    { name: 'unset behaves like auto', format: undefined, terminal: true, expected: 'pretty' },
    { name: 'json forces JSON on a terminal', format: 'json', terminal: true, expected: 'json' },
    { name: 'pretty forces human lines on a pipe', format: 'pretty', terminal: false, expected: 'pretty' },
  ] as const)('$name', ({ format, terminal, expected }) => {
    expect(resolveLogFormat(format, terminal)).toBe(expected);
  });
});

describe('createLogger', () => {
  const secrets = {
    event: 'smtp-configured',
    password: 'hunter2-password',
    token: 'xoxb-secret-token',
    body: 'the customer body text',
    mail: { text: 'a plain body', html: '<p>an html body</p>' },
    config: { SMTP_URL: 'smtp://u:smtp-secret@mail.example', DATABASE_URL: 'postgresql://u:db-secret@db/deskbot' },
  };

  it.each(['json', 'pretty'] as const)('redacts secrets and bodies in the %s format', (format) => {
    const out = capture();
    createLogger({ format, destination: out.destination }).child({ component: 'smtp' }).info(secrets, 'configured');
    const text = out.text();
    expect(text).toContain('configured');
    expect(text).toContain('[redacted]');
    for (const secret of ['hunter2-password', 'xoxb-secret-token', 'the customer body text', 'a plain body', 'an html body', 'smtp-secret', 'db-secret']) {
      expect(text).not.toContain(secret);
    }
  });

  it('writes one JSON object per line in the json format, human lines with the component in the pretty one', () => {
    const json = capture();
    createLogger({ format: 'json', destination: json.destination }).child({ component: 'intake' }).info({ event: 'started' }, 'intake up');
    expect(JSON.parse(json.text())).toMatchObject({ level: 30, component: 'intake', event: 'started', msg: 'intake up' });

    const pretty = capture();
    createLogger({ format: 'pretty', destination: pretty.destination }).child({ component: 'intake' }).info({ event: 'started' }, 'intake up');
    const line = pretty.text().split('\n')[0]!;
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: \[intake\] intake up \{"event":"started"\}$/);
    expect(() => JSON.parse(pretty.text())).toThrow();
  });
});
