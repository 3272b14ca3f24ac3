// `deskbot inbound list|retry` through the real CLI on PGlite (DATA_DIR) and PostgreSQL (DATABASE_URL): a rejected mail
// is listed, retried while still rejected, retried into a ticket after the directory changed; bad input exits 1 or 2.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.ts';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../../helpers/postgres.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-inbound-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const pgAvailable = await postgresAvailable();

/** examples/directory.yaml with the stranger of not-eligible.eml as an eligible caller of NORDIC. */
function directoryWithStranger(): string {
  const text = fs.readFileSync(path.resolve('examples/directory.yaml'), 'utf8');
  const anchor = '      - { email: lars@nordic.example, name: Lars Berg }\n';
  const file = path.join(tmp, 'directory-with-stranger.yaml');
  fs.writeFileSync(file, text.replace(anchor, `${anchor}      - { email: someone@unknown.example, name: Sam Someone }\n`));
  return file;
}

describe.each([
  { name: 'pglite', available: true },
  { name: 'postgres', available: pgAvailable },
])('deskbot inbound on $name', ({ name, available }) => {
  let env: Record<string, string>;
  let database: TestDatabase | undefined;

  beforeAll(async () => {
    if (!available) return;
    // The fixtures carry fixed Date: headers days in the past; this suite is about retrying, not about the notice age.
    env = { LOG_LEVEL: 'silent', DATA_DIR: path.join(tmp, name), SUPPORT_ADDRESS: 'support@deskbot.local', AUTO_NOTICE_MAX_AGE: '3650d' };
    if (name === 'postgres') {
      database = await createTestDatabase();
      env.DATABASE_URL = database.url;
    }
  });
  afterAll(async () => {
    await database?.drop();
  });

  async function run(...args: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), env });
    return { code, stdout, stderr };
  }

  it.skipIf(!available)(
    'lists a rejected mail and retries it into a ticket once the sender is eligible',
    async () => {
      expect((await run('import', 'examples/directory.yaml')).code).toBe(0);
      expect((await run('ingest', 'test/fixtures/mail/not-eligible.eml')).code).toBe(0);

      const listed = await run('inbound', 'list', '--outcome', 'rejected', '--since', '2000-01-01', '--format', 'json');
      expect(listed.code).toBe(0);
      const { inbound } = JSON.parse(listed.stdout) as { inbound: Array<{ messageId: string; outcome: string; reason: string; retryable: boolean }> };
      expect(inbound).toEqual([
        expect.objectContaining({ messageId: '<stranger-help-1@unknown.example>', outcome: 'rejected', reason: 'unknown-sender', retryable: true }),
      ]);
      const table = await run('inbound', 'list', '--outcome', 'rejected');
      expect(table.stdout).toMatch(
        /^RECEIVED\s+OUTCOME\s+REASON\s+FROM\s+MESSAGE-ID\s+TICKET\s+RETRY\n.*rejected\s+unknown-sender\s+someone@unknown\.example\s+<stranger-help-1@unknown\.example>\s+-\s+yes\n$/,
      );
      const unknown = await run('inbound', 'retry', '<nobody@nowhere.example>');
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('No inbound message <nobody@nowhere.example>');
      // The embedded database takes seconds to open for each command: the rest of the flow runs on PostgreSQL only
      // (test/app/intake/retry-rejected.test.ts runs the same retries on both back ends without the CLI).
      if (name === 'pglite') return;
      expect((await run('inbound', 'list', '--since', '2999-01-01')).stdout).toBe('no inbound messages\n');

      const still = await run('inbound', 'retry', '<stranger-help-1@unknown.example>');
      expect(still.code).toBe(0);
      expect(JSON.parse(still.stdout)).toMatchObject({ outcome: 'rejected', reason: 'unknown-sender' });

      expect((await run('import', directoryWithStranger())).code).toBe(0);
      expect((await run('ingest', 'test/fixtures/mail/new-request-complete.eml')).code).toBe(0);
      const retried = await run('inbound', 'retry', 'stranger-help-1@unknown.example');
      expect(retried.code).toBe(0);
      expect(JSON.parse(retried.stdout)).toMatchObject({ outcome: 'ticket', requestId: expect.stringMatching(/^SR-\d{4}-\d{6}$/) });
      const after = JSON.parse((await run('inbound', 'list', '--format', 'json')).stdout) as {
        inbound: Array<{ messageId: string; outcome: string; previousOutcome: string | null }>;
      };
      const { requestId } = JSON.parse(retried.stdout) as { requestId: string };
      expect(after.inbound.find((entry) => entry.messageId === '<stranger-help-1@unknown.example>')).toMatchObject({
        outcome: 'ticket',
        previousOutcome: 'rejected',
        requestId,
      });
      // The table names the ticket by its service-request ID, the ID `tickets show` takes.
      const listed2 = await run('inbound', 'list', '--outcome', 'ticket');
      expect(listed2.stdout).toMatch(new RegExp(`<stranger-help-1@unknown\\.example>\\s+${requestId}\\s`));

      const notRejected = await run('inbound', 'retry', 'stranger-help-1@unknown.example');
      expect(notRejected).toMatchObject({ code: 1, stdout: '' });
      expect(notRejected.stderr).toContain('was not rejected (it ended as ticket)');
    },
    120_000,
  );

  it.skipIf(!available).each([
    ['an unknown outcome', ['inbound', 'list', '--outcome', 'lost']],
    ['a bad date', ['inbound', 'list', '--since', 'yesterday']],
    ['an unknown format', ['inbound', 'list', '--format', 'xml']],
    ['retry without a Message-ID', ['inbound', 'retry']],
  ])('%s is a usage error (exit 2)', async (_label, args) => {
    const result = await run(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toBe('');
  });
});
